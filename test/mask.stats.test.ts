// Statistics of the masks on real text (GPT-2 byte-level BPE), with exact bounds from the
// binomial and chi-square distributions at level 1e-6, at fixed seeds (deterministic).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode } from 'gpt-tokenizer/encoding/r50k_base';
import { Masker, threshold31, type MaskOptions } from 'maskpack';
import { binomialInterval, chiSquare, chiSquareCritical } from './helpers/stats.js';
import { MASK, realRows, SPECIALS, VOCAB } from './helpers/vocab.js';

const ALPHA = 1e-6;
const LEN = 512;
const { ids, rows } = realRows(1_500_000, LEN);
const sampleIds = Array.from({ length: rows }, (_, r) => r);
const special = new Set(SPECIALS);
const EPOCHS = 8;

interface Tally {
  eligible: number;
  selected: number;
  masked: number;
  unchanged: number;
  random: number[];
  specialSelected: number;
}

function tally(options: MaskOptions): Tally {
  const masker = new Masker(options);
  const t: Tally = { eligible: 0, selected: 0, masked: 0, unchanged: 0, random: [], specialSelected: 0 };
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const { inputIds, labels } = masker.mask(ids, sampleIds, { epoch });
    for (let i = 0; i < ids.length; i++) {
      const isSpecial = special.has(ids[i]);
      if (!isSpecial) t.eligible++;
      if (labels[i] === -100) continue;
      t.selected++;
      if (isSpecial) t.specialSelected++;
      if (inputIds[i] === MASK) t.masked++;
      else if (inputIds[i] === ids[i]) t.unchanged++;
      else t.random.push(inputIds[i]);
    }
  }
  return t;
}

const options: MaskOptions = { vocabSize: VOCAB, maskId: MASK, specialIds: SPECIALS, seed: 12345 };
const t = tally(options);
const allowed = VOCAB - SPECIALS.length;

test(`the corpus sample is large enough to test (${rows} rows of ${LEN})`, () => {
  assert.ok(t.eligible > 2_000_000, `${t.eligible} eligible tokens`);
});

test('no special or padding position is ever selected', () => {
  assert.equal(t.specialSelected, 0);
});

test('the selected share of eligible tokens is maskProb (binomial bound)', () => {
  const p = threshold31(0.15) / 2 ** 31;
  const [lo, hi] = binomialInterval(t.eligible, p, ALPHA);
  assert.ok(t.selected >= lo && t.selected <= hi, `${t.selected} selected of ${t.eligible}, accepted [${lo}, ${hi}]`);
});

test('the 80/10/10 split (chi-square, 2 degrees of freedom)', () => {
  const pMask = threshold31(0.8) / 2 ** 31;
  const pRandom = (threshold31(0.9) - threshold31(0.8)) / 2 ** 31;
  // A random draw equal to the original id is indistinguishable from "unchanged".
  const probs = [pMask, pRandom * (1 - 1 / allowed), 1 - pMask - pRandom + pRandom / allowed];
  const x = chiSquare([t.masked, t.random.length, t.unchanged], probs);
  assert.ok(x < chiSquareCritical(2, ALPHA), `chi-square ${x.toFixed(2)} for ${t.masked}/${t.random.length}/${t.unchanged}`);
});

test('random replacements are never special and uniform over the allowed ids (chi-square, 63 df)', () => {
  for (const id of t.random) assert.ok(!special.has(id) && id >= 0 && id < VOCAB, `drew ${id}`);
  // Bin by rank among allowed ids: 64 equal-probability bins up to the remainder.
  const rankOf = (id: number) => id - SPECIALS.filter((s) => s < id).length;
  const bins = 64;
  const counts = new Array<number>(bins).fill(0);
  const probs = new Array<number>(bins).fill(0);
  for (let r = 0; r < allowed; r++) probs[Math.floor((r * bins) / allowed)] += 1 / allowed;
  for (const id of t.random) counts[Math.floor((rankOf(id) * bins) / allowed)]++;
  const x = chiSquare(counts, probs);
  assert.ok(x < chiSquareCritical(bins - 1, ALPHA), `chi-square ${x.toFixed(2)} over ${t.random.length} draws`);
});

test('random replacements stay inside randomIdRange and off the specials in it', () => {
  const range: [number, number] = [1000, 1100];
  const masker = new Masker({ ...options, randomIdRange: range, specialIds: [...SPECIALS, 1050], maskReplaceProb: 0, randomReplaceProb: 1 });
  const { inputIds, labels } = masker.mask(ids.subarray(0, 64 * LEN), sampleIds.slice(0, 64));
  const seen = new Array<number>(100).fill(0);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === -100) continue;
    assert.ok(inputIds[i] >= 1000 && inputIds[i] < 1100 && inputIds[i] !== 1050, `drew ${inputIds[i]}`);
    seen[inputIds[i] - 1000]++;
  }
  const probs = seen.map((_, i) => (i === 50 ? 0 : 1 / 99));
  const x = chiSquare(seen.filter((_, i) => i !== 50), probs.filter((_, i) => i !== 50));
  assert.ok(x < chiSquareCritical(98, ALPHA), `chi-square ${x.toFixed(2)}`);
});

test('whole-word masking selects words with maskProb and gives their pieces one decision', () => {
  const wordStarts = wordStartTable();
  const masker = new Masker({ ...options, wholeWordMask: true, wordStarts, maskProb: 0.15 });
  const { inputIds, labels } = masker.mask(ids, sampleIds);
  let words = 0;
  let selectedWords = 0;
  for (let r = 0; r < rows; r++) {
    let inWord = false;
    let wordSel = false;
    let wordMasked = -1;
    for (let i = r * LEN; i < (r + 1) * LEN; i++) {
      if (special.has(ids[i])) { inWord = false; continue; }
      const starts = !inWord || wordStarts[ids[i]] === 1;
      if (starts) {
        words++;
        wordSel = labels[i] !== -100;
        if (wordSel) selectedWords++;
        wordMasked = inputIds[i] === MASK ? 1 : 0;
      } else {
        assert.equal(labels[i] !== -100, wordSel, `piece ${i} follows its word's selection`);
        if (wordSel && wordMasked === 1) assert.equal(inputIds[i], MASK, `piece ${i} shares its word's <mask> decision`);
      }
      inWord = true;
    }
  }
  const [lo, hi] = binomialInterval(words, threshold31(0.15) / 2 ** 31, ALPHA);
  assert.ok(selectedWords >= lo && selectedWords <= hi, `${selectedWords} of ${words} words, accepted [${lo}, ${hi}]`);
});

function wordStartTable(): Uint8Array {
  // GPT-2 byte-level BPE: a piece whose text begins with a space starts a word.
  const table = new Uint8Array(VOCAB);
  for (let id = 4; id < 50260; id++) table[id] = decode([id - 4]).startsWith(' ') ? 1 : 0;
  return table;
}

// Statistics of span masking and of maxPredictions, with exact bounds (binomial, chi-square at
// level 1e-6, Chebyshev) at fixed seeds, so they are deterministic. Span draws are read from
// the TypeScript reference, which the test first holds to the kernels bit for bit on the same rows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode } from 'gpt-tokenizer/encoding/r50k_base';
import { Masker, mix32, streamKey, threshold31, type MaskOptions } from 'maskpack';
import { resolveMaskOptions } from '../src/mask/options.js';
import { maskRowsWithReference, spanRow, type SpanDraw } from '../src/mask/reference.js';
import { binomialInterval, chiSquare, chiSquareCritical } from './helpers/stats.js';
import { MASK, realRows, SPECIALS, VOCAB } from './helpers/vocab.js';

const ALPHA = 1e-6;
const LEN = 512;
const { ids, rows } = realRows(900_000, LEN);
const sampleIds = Array.from({ length: rows }, (_, r) => r);
const special = new Set(SPECIALS);
const EPOCHS = 6;

function wordStartTable(): Uint8Array {
  // GPT-2 byte-level BPE: a piece whose text begins with a space starts a word.
  const table = new Uint8Array(VOCAB);
  for (let id = 4; id < 50260; id++) table[id] = decode([id - 4]).startsWith(' ') ? 1 : 0;
  return table;
}
const wordStarts = wordStartTable();

interface Run {
  draws: SpanDraw[];
  inputIds: Int32Array;
  labels: Int32Array;
  /** Row of each draw. */
  rowOf: number[];
}

function run(options: MaskOptions, epoch: number): Run {
  const p = resolveMaskOptions({ ...options, epoch });
  const inputIds = ids.slice();
  const labels = new Int32Array(ids.length).fill(-100);
  const draws: SpanDraw[] = [];
  const rowOf: number[] = [];
  for (let r = 0; r < rows; r++) {
    const d = spanRow(p, streamKey(p.seed, p.epoch, r), inputIds.subarray(r * LEN, (r + 1) * LEN), labels.subarray(r * LEN, (r + 1) * LEN));
    for (const x of d) { draws.push({ ...x, start: x.start + r * LEN }); rowOf.push(r); }
  }
  return { draws, inputIds, labels, rowOf };
}

const options: MaskOptions = { vocabSize: VOCAB, maskId: MASK, specialIds: SPECIALS, wordStarts, spanMask: true, seed: 2024 };
const runs = Array.from({ length: EPOCHS }, (_, e) => run(options, e));

test(`the sample rows (${rows} of ${LEN}) are masked by both kernel tiers exactly as by the reference`, () => {
  for (const tier of ['simd', 'scalar'] as const) {
    const masker = new Masker(options, { tier });
    for (let e = 0; e < EPOCHS; e++) {
      const got = masker.mask(ids, sampleIds, { epoch: e });
      assert.deepEqual(got.inputIds, runs[e].inputIds, `${tier} epoch ${e}`);
      assert.deepEqual(got.labels, runs[e].labels, `${tier} epoch ${e}`);
    }
  }
  const p = resolveMaskOptions(options);
  const keys = sampleIds.map((r) => streamKey(p.seed, 0, r));
  assert.deepEqual(maskRowsWithReference(p, ids, keys, LEN).labels, runs[0].labels);
});

test('drawn span lengths follow the geometric distribution p = 0.2 clipped at 10 (chi-square, 9 df), mean 3.8 words', () => {
  const counts = new Array<number>(10).fill(0);
  let sum = 0;
  let n = 0;
  for (const r of runs) for (const d of r.draws) { counts[d.drawn - 1]++; sum += d.drawn; n++; }
  const w = Array.from({ length: 10 }, (_, i) => 0.2 * 0.8 ** i);
  const total = w.reduce((a, b) => a + b, 0);
  const probs = w.map((x) => x / total);
  const x = chiSquare(counts, probs);
  assert.ok(n > 30_000, `${n} spans drawn`);
  assert.ok(x < chiSquareCritical(9, ALPHA), `chi-square ${x.toFixed(2)} for ${counts.join('/')}`);
  const mean = probs.reduce((a, p, i) => a + p * (i + 1), 0);
  const variance = probs.reduce((a, p, i) => a + p * (i + 1) ** 2, 0) - mean * mean;
  assert.equal(mean.toFixed(1), '3.8', 'SpanBERT reports a mean span length of 3.8 words');
  // Chebyshev: P(|mean_n - mean| >= sqrt(variance / (n alpha))) <= alpha.
  const observed = sum / n;
  assert.ok(Math.abs(observed - mean) < Math.sqrt(variance / (n * ALPHA)), `mean ${observed.toFixed(3)} vs ${mean.toFixed(3)}`);
  // Realised spans are words: each covers at most its drawn length (shorter at a special, a covered word or the budget).
  for (const r of runs) for (const d of r.draws) assert.ok(d.units <= d.drawn && d.units >= 1);
});

test('the masked share of eligible tokens is maskProb (bernoulli budget: binomial bound; exact: floor(p n + u) per row)', () => {
  let eligible = 0;
  let labelled = 0;
  for (const r of runs) {
    for (let i = 0; i < ids.length; i++) {
      if (!special.has(ids[i])) eligible++;
      if (r.labels[i] !== -100) { labelled++; assert.ok(!special.has(ids[i]), 'no special is ever in a span'); }
    }
  }
  const [lo, hi] = binomialInterval(eligible, threshold31(0.15) / 2 ** 31, ALPHA);
  assert.ok(labelled >= lo && labelled <= hi, `${labelled} of ${eligible}, accepted [${lo}, ${hi}]`);
  // Exact budgets: every full row has 510 eligible tokens, so 76 or 77 labelled (76.5 in expectation), 77 with probability 1/2.
  const exact = new Masker({ ...options, selection: 'exact' }).mask(ids, sampleIds);
  let high = 0;
  for (let r = 0; r < rows - 1; r++) {
    let c = 0;
    for (let i = r * LEN; i < (r + 1) * LEN; i++) if (exact.labels[i] !== -100) c++;
    assert.ok(c === 76 || c === 77, `row ${r}: ${c} labelled`);
    if (c === 77) high++;
  }
  const [l2, h2] = binomialInterval(rows - 1, 0.5, ALPHA);
  assert.ok(high >= l2 && high <= h2, `${high} rows of ${rows - 1} round up, accepted [${l2}, ${h2}]`);
});

test('one 80/10/10 decision per span (chi-square over spans, 2 df; every token of a span follows it)', () => {
  const allowed = VOCAB - SPECIALS.length;
  const tally = [0, 0, 0];
  for (const r of runs) {
    for (const d of r.draws) {
      if (d.tokens === 0) continue;
      const first = r.inputIds[d.start];
      const masked = first === MASK;
      tally[masked ? 0 : first !== ids[d.start] ? 1 : 2]++;
      for (let i = d.start; i < d.start + d.tokens; i++) assert.equal(r.inputIds[i] === MASK, masked, 'the span shares its decision');
    }
  }
  const pMask = threshold31(0.8) / 2 ** 31;
  const pRandom = (threshold31(0.9) - threshold31(0.8)) / 2 ** 31;
  const probs = [pMask, pRandom * (1 - 1 / allowed), 1 - pMask - pRandom + pRandom / allowed];
  const x = chiSquare(tally, probs);
  assert.ok(x < chiSquareCritical(2, ALPHA), `chi-square ${x.toFixed(2)} for ${tally.join('/')}`);
});

test('maxPredictions keeps an unbiased subset: kept positions uniform over the row (chi-square, 63 df), never more than N', () => {
  // Rows of 64 eligible tokens, about 19 selected (maskProb 0.3), at most 5 kept. Sampling 5
  // positions of a row without replacement makes the Pearson statistic smaller than under
  // independent draws, so the chi-square bound is conservative.
  const len = 64;
  const n = 20_000;
  const rowIds = Int32Array.from({ length: n * len }, (_, i) => 4 + (mix32(i) % 50000));
  const sids = Array.from({ length: n }, (_, r) => r);
  for (const selection of ['bernoulli', 'exact'] as const) {
    const out = new Masker({ vocabSize: VOCAB, maskId: MASK, specialIds: SPECIALS, maskProb: 0.3, selection, maxPredictions: 5, seed: 31 }).mask(rowIds, sids);
    const counts = new Array<number>(len).fill(0);
    for (let r = 0; r < n; r++) {
      let kept = 0;
      for (let i = 0; i < len; i++) if (out.labels[r * len + i] !== -100) { counts[i]++; kept++; }
      assert.ok(kept <= 5);
    }
    const x = chiSquare(counts, new Array<number>(len).fill(1 / len));
    assert.ok(x < chiSquareCritical(len - 1, ALPHA), `${selection}: chi-square ${x.toFixed(2)}`);
  }
});

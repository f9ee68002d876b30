// Degenerate probabilities, determinism, static masking, ownership, and bad input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Masker, maskReference, type MaskOptions } from 'maskpack';
import { MASK, PAD, realRows, SPECIALS, VOCAB } from './helpers/vocab.js';

const base: MaskOptions = { vocabSize: VOCAB, maskId: MASK, specialIds: SPECIALS };
const { ids: realIds, rows: realCount } = realRows(60_000, 128);
const rows = Math.min(realCount, 32);
const ids = realIds.subarray(0, rows * 128).slice();
const sampleIds = Array.from({ length: rows }, (_, r) => 1000 + r);
const isSpecial = (id: number) => SPECIALS.includes(id);

test('maskReplaceProb 1: every selected position holds <mask> and its label is the original', () => {
  const { inputIds, labels } = new Masker({ ...base, maskReplaceProb: 1, randomReplaceProb: 0 }).mask(ids, sampleIds);
  let selected = 0;
  for (let i = 0; i < ids.length; i++) {
    if (labels[i] === -100) assert.equal(inputIds[i], ids[i]);
    else {
      selected++;
      assert.equal(labels[i], ids[i]);
      assert.equal(inputIds[i], MASK);
    }
  }
  assert.ok(selected > 0);
});

test('maskReplaceProb 0 and randomReplaceProb 0: selected positions stay unchanged', () => {
  const { inputIds, labels } = new Masker({ ...base, maskReplaceProb: 0, randomReplaceProb: 0 }).mask(ids, sampleIds);
  assert.deepEqual(inputIds, ids);
  assert.ok(labels.some((l) => l !== -100));
});

test('maskProb 0 selects nothing; maskProb 1 selects every non-special position', () => {
  for (const selection of ['bernoulli', 'exact'] as const) {
    const none = new Masker({ ...base, maskProb: 0, selection }).mask(ids, sampleIds);
    assert.ok(none.labels.every((l) => l === -100));
    assert.deepEqual(none.inputIds, ids);
    const all = new Masker({ ...base, maskProb: 1, selection }).mask(ids, sampleIds);
    for (let i = 0; i < ids.length; i++) assert.equal(all.labels[i], isSpecial(ids[i]) ? -100 : ids[i]);
  }
});

test('exact mode selects floor(maskProb × eligible + u) positions per row, u in [0, 1)', () => {
  const maskProb = 0.15;
  const { labels } = new Masker({ ...base, maskProb, selection: 'exact' }).mask(ids, sampleIds);
  for (let r = 0; r < rows; r++) {
    let eligible = 0;
    let selected = 0;
    for (let i = r * 128; i < (r + 1) * 128; i++) {
      if (!isSpecial(ids[i])) eligible++;
      if (labels[i] !== -100) selected++;
    }
    assert.ok(selected === Math.floor(maskProb * eligible) || selected === Math.floor(maskProb * eligible) + 1, `row ${r}`);
  }
});

test('a row depends on (seed, epoch, sampleId) only: not on its place in the batch nor the batch width', () => {
  const masker = new Masker(base);
  const whole = masker.mask(ids, sampleIds);
  const r = 5;
  const row = ids.subarray(r * 128, (r + 1) * 128);
  const wider = new Int32Array(2 * 160).fill(PAD);
  wider.set(ids.subarray(0, 128), 0);
  wider.set(row, 160);
  const alone = masker.mask(wider, [sampleIds[0], sampleIds[r]]);
  assert.deepEqual(alone.inputIds.subarray(160, 288), whole.inputIds.subarray(r * 128, (r + 1) * 128));
  assert.deepEqual(alone.labels.subarray(160, 288), whole.labels.subarray(r * 128, (r + 1) * 128));
  assert.ok(alone.labels.subarray(288).every((l) => l === -100));
});

test('dynamic masking differs between epochs; static masking repeats every dupeFactor epochs', () => {
  const dynamic = new Masker(base);
  assert.notDeepEqual(dynamic.mask(ids, sampleIds, { epoch: 0 }).labels, dynamic.mask(ids, sampleIds, { epoch: 1 }).labels);
  const stat = new Masker({ ...base, dupeFactor: 10 });
  const e3 = stat.mask(ids, sampleIds, { epoch: 3 });
  assert.deepEqual(stat.mask(ids, sampleIds, { epoch: 13 }), e3);
  assert.deepEqual(stat.mask(ids, sampleIds, { epoch: 33 }), e3);
  assert.notDeepEqual(stat.mask(ids, sampleIds, { epoch: 4 }).labels, e3.labels);
  assert.deepEqual(new Masker({ ...base, epoch: 23, dupeFactor: 10 }).mask(ids, sampleIds), e3);
});

test('different seeds give different masks', () => {
  assert.notDeepEqual(new Masker({ ...base, seed: 1 }).mask(ids, sampleIds).labels, new Masker({ ...base, seed: 2 }).mask(ids, sampleIds).labels);
});

test('results are fresh, non-shared buffers and the input is left untouched', () => {
  const before = ids.slice();
  const out = new Masker(base).mask(ids, sampleIds);
  assert.deepEqual(ids, before);
  for (const a of [out.inputIds, out.labels]) {
    assert.ok(a.buffer instanceof ArrayBuffer && !(a.buffer instanceof SharedArrayBuffer));
    assert.equal(a.byteOffset, 0);
    assert.equal(a.buffer.byteLength, ids.byteLength);
  }
  const copy = out.inputIds.slice();
  new Masker(base).mask(ids, sampleIds, { epoch: 9 });
  assert.deepEqual(out.inputIds, copy, 'a later call does not write into an earlier result');
});

test('bad batches are refused before any kernel runs', () => {
  const masker = new Masker(base);
  const cases: [Int32Array, unknown, RegExp][] = [
    [Int32Array.of(0, 5, VOCAB, 2), [1], /ids\[2\] \(row 0, position 2\) is 50265, outside the vocabulary \[0, 50265\)/],
    [Int32Array.of(0, -1), [1], /ids\[1\] .* is -1/],
    [new Int32Array(5), [1, 2], /ids.length \(5\) must be a multiple of sampleIds.length \(2\)/],
    [new Int32Array(3), [], /ids has 3 elements but sampleIds is empty/],
    [new Int32Array(2), [1.5], /sampleIds\[0\] must be an integer in \[0, 4294967295\], got 1.5/],
    [new Int32Array(2), [-1], /sampleIds\[0\] must be an integer/],
  ];
  for (const [bad, sids, message] of cases) {
    assert.throws(() => masker.mask(bad, sids as number[]), message);
    assert.throws(() => maskReference(bad, sids as number[], base), message);
  }
  assert.throws(() => masker.mask([1, 2] as unknown as Int32Array, [1]), { name: 'TypeError', message: /ids must be an Int32Array/ });
  assert.throws(() => masker.mask(new Int32Array(2), [1], { epoch: -1 }), { name: 'RangeError', message: /call.epoch must be an integer/ });
});

test('options are validated with the option name and the value', () => {
  const table: [Partial<Record<keyof MaskOptions | 'maskprob', unknown>>, string, RegExp][] = [
    [{ vocabSize: 0 }, 'RangeError', /options.vocabSize must be an integer in \[1, 2147483647\], got 0/],
    [{ vocabSize: '50265' }, 'TypeError', /options.vocabSize must be an integer, got "50265"/],
    [{ maskId: VOCAB }, 'RangeError', /options.maskId must be an integer in \[0, 50264\], got 50265/],
    [{ specialIds: 3 }, 'TypeError', /options.specialIds must be an array/],
    [{ specialIds: [0, 70000] }, 'RangeError', /options.specialIds\[1\] must be an integer in \[0, 50264\], got 70000/],
    [{ specialIds: Array.from({ length: 80 }, (_, i) => i) }, 'RangeError', /at most 63 ids besides maskId, got 80/],
    [{ maskProb: 1.5 }, 'RangeError', /options.maskProb must be in \[0, 1\], got 1.5/],
    [{ maskProb: Number.NaN }, 'RangeError', /options.maskProb must be in \[0, 1\], got NaN/],
    [{ maskReplaceProb: 0.9, randomReplaceProb: 0.2 }, 'RangeError', /maskReplaceProb \+ options.randomReplaceProb must be at most 1, got 0.9 \+ 0.2/],
    [{ randomIdRange: [10, 5] }, 'RangeError', /options.randomIdRange\[1\] must be an integer in \[11, 50265\], got 5/],
    [{ randomIdRange: [0, 4] }, 'RangeError', /holds only special ids/],
    [{ randomIdRange: 7 }, 'TypeError', /options.randomIdRange must be a pair/],
    [{ selection: 'poisson' }, 'RangeError', /options.selection must be one of bernoulli, exact, got "poisson"/],
    [{ wholeWordMask: true }, 'TypeError', /options.wordStarts must be a Uint8Array .*required by wholeWordMask/],
    [{ wholeWordMask: 1 }, 'TypeError', /options.wholeWordMask must be a boolean, got 1/],
    [{ wordStarts: new Uint8Array(5) }, 'RangeError', /options.wordStarts must have vocabSize \(50265\) entries, got 5/],
    [{ seed: -1 }, 'RangeError', /options.seed must be an integer in \[0, 4294967295\], got -1/],
    [{ epoch: 2 ** 32 }, 'RangeError', /options.epoch must be an integer/],
    [{ dupeFactor: 0 }, 'RangeError', /options.dupeFactor must be an integer in \[1, 4294967295\], got 0/],
    [{ ignoreIndex: 1.5 }, 'RangeError', /options.ignoreIndex must be an integer/],
    [{ maskprob: 0.2 }, 'TypeError', /options.maskprob is not a known option/],
  ];
  for (const [patch, name, message] of table) {
    const options = { ...base, ...patch } as MaskOptions;
    assert.throws(() => new Masker(options), { name, message }, JSON.stringify(Object.keys(patch)));
    assert.throws(() => maskReference(new Int32Array(0), [], options), { name, message });
  }
  assert.throws(() => new Masker(base, { tier: 'gpu' as 'simd' }), { name: 'RangeError', message: /init.tier must be simd or scalar, got "gpu"/ });
});

// SIMD kernel, scalar twin and TypeScript reference agree bit for bit on random batches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Masker, maskReference, type MaskOptions } from 'maskpack';

function agree(options: MaskOptions, ids: Int32Array, sampleIds: number[], epoch?: number): void {
  const call = epoch === undefined ? {} : { epoch };
  const expected = maskReference(ids, sampleIds, options, call);
  for (const tier of ['simd', 'scalar'] as const) {
    const got = new Masker(options, { tier }).mask(ids, sampleIds, call);
    assert.deepEqual(got.inputIds, expected.inputIds, `${tier} inputIds`);
    assert.deepEqual(got.labels, expected.labels, `${tier} labels`);
  }
}

const caseArb = fc
  .record({
    vocabSize: fc.oneof(fc.integer({ min: 2, max: 40 }), fc.constant(50265)),
    rows: fc.integer({ min: 0, max: 4 }),
    len: fc.integer({ min: 0, max: 64 }),
    maskProb: fc.oneof(fc.constant(0), fc.constant(1), fc.constant(0.15), fc.double({ min: 0, max: 1, noNaN: true })),
    split: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
    selection: fc.constantFrom('bernoulli' as const, 'exact' as const),
    wholeWordMask: fc.boolean(),
    seed: fc.nat({ max: 0xffffffff }),
    epoch: fc.nat({ max: 0xffffffff }),
    ignoreIndex: fc.constantFrom(-100, -1, 0),
    fill: fc.constantFrom('random', 'edges', 'padding', 'specials'),
    salt: fc.nat(),
  })
  .map((c) => {
    const v = c.vocabSize;
    const specials = [...new Set([0, 1, Math.min(2, v - 1), v - 1])];
    const maskId = specials[specials.length - 1];
    const [a, b] = c.split;
    const maskReplaceProb = Math.min(a, 1);
    const randomReplaceProb = (1 - maskReplaceProb) * b;
    const wordStarts = Uint8Array.from({ length: v }, (_, i) => ((i * 2654435761 + c.salt) >>> 29) & 1);
    const ids = new Int32Array(c.rows * c.len);
    for (let i = 0; i < ids.length; i++) {
      const r = Math.imul(i + 1, 0x9e3779b1) ^ c.salt;
      const pick = (r >>> 8) % v;
      ids[i] = c.fill === 'padding' ? 1 : c.fill === 'specials' ? specials[(r >>> 3) % specials.length]
        : c.fill === 'edges' ? [0, v - 1, pick, Math.min(3, v - 1)][(r >>> 2) & 3] : pick;
    }
    const sampleIds = Array.from({ length: c.rows }, (_, r) => (c.salt + r * 7919) >>> 0);
    const canDraw = v - specials.length > 0;
    const options: MaskOptions = {
      vocabSize: v, maskId, specialIds: specials, maskProb: c.maskProb, maskReplaceProb,
      randomReplaceProb: canDraw ? randomReplaceProb : 0, selection: c.selection,
      wholeWordMask: c.wholeWordMask, wordStarts, seed: c.seed, ignoreIndex: c.ignoreIndex,
    };
    return { options, ids, sampleIds, epoch: c.epoch };
  });

test('SIMD, scalar and reference agree on random batches', () => {
  fc.assert(fc.property(caseArb, ({ options, ids, sampleIds, epoch }) => agree(options, ids, sampleIds, epoch)), {
    numRuns: 400,
    seed: 20261126,
  });
});

test('every row length 0..64 hits every SIMD tail, in every mode', () => {
  const base = { vocabSize: 50265, maskId: 50264, specialIds: [0, 1, 2, 3, 50260, 50261, 50262, 50263], maskProb: 0.4 };
  const wordStarts = Uint8Array.from({ length: 50265 }, (_, i) => i % 3 === 0 ? 1 : 0);
  for (let len = 0; len <= 64; len++) {
    const rows = 3;
    const ids = new Int32Array(rows * len);
    for (let i = 0; i < ids.length; i++) ids[i] = i % len === 0 ? 0 : 4 + ((i * 104729) % 50256);
    for (const selection of ['bernoulli', 'exact'] as const) {
      for (const wholeWordMask of [false, true]) {
        agree({ ...base, selection, wholeWordMask, wordStarts }, ids, [len, len + 1000, 7]);
      }
    }
  }
});

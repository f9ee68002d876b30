// Golden vectors: the masking function is a documented contract (README, "Randomness").
// The library must match vectors frozen in test/golden/mask-v1.json (the options of random
// function version 1, unchanged in version 2) and test/golden/mask-v2.json (span masking and
// maxPredictions, new in version 2), with both kernel tiers, and an independent Python
// implementation written from the README (test/golden/mask_spec.py) must match too.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Masker, maskReference, mix32, streamKey, positionHash, type MaskOptions } from 'maskpack';

const dir = fileURLToPath(new URL('../../test/golden/', import.meta.url));

interface GoldenCase extends MaskOptions {
  ids: number[];
  sampleIds: number[];
}

function cases(): GoldenCase[] {
  const vocabSize = 1000;
  const wordStarts = Array.from({ length: vocabSize }, (_, i) => (mix32(i) & 1));
  const rows = 3;
  const len = 40;
  const ids = Array.from({ length: rows * len }, (_, i) => {
    const p = i % len;
    if (p === 0) return 0;
    if (p === 39 || (i >= 2 * len && p > 30)) return p === 39 && i < 2 * len ? 2 : 1;
    return 4 + (mix32(i + 77) % 995);
  });
  const base = { vocabSize, maskId: 999, specialIds: [0, 1, 2, 3], ids, sampleIds: [5, 0, 4294967295], maskProb: 0.3 };
  return [
    { ...base },
    { ...base, seed: 7, epoch: 3, selection: 'exact' },
    { ...base, seed: 11, wholeWordMask: true, wordStarts: wordStarts as unknown as Uint8Array },
    { ...base, seed: 11, selection: 'exact', wholeWordMask: true, wordStarts: wordStarts as unknown as Uint8Array },
    { ...base, epoch: 23, dupeFactor: 10, randomIdRange: [500, 600], specialIds: [0, 1, 2, 3, 550], maskReplaceProb: 0.5, randomReplaceProb: 0.5 },
  ];
}

/** Version 2's additions: span masking (tokens, words, with the cap, static) and maxPredictions in every mode. */
export function casesV2(): GoldenCase[] {
  const v1 = cases();
  const base = v1[0];
  const words = { wordStarts: v1[2].wordStarts };
  return [
    { ...base, spanMask: true },
    { ...base, ...words, seed: 3, spanMask: true, selection: 'exact', spanP: 0.3, spanMaxLength: 4 },
    { ...base, ...words, epoch: 12, dupeFactor: 5, spanMask: true, maxPredictions: 5, maskProb: 0.5 },
    { ...base, seed: 9, maxPredictions: 4 },
    { ...base, ...words, seed: 9, selection: 'exact', wholeWordMask: true, maxPredictions: 6 },
    { ...base, ...words, seed: 13, wholeWordMask: true, maxPredictions: 3, randomIdRange: [500, 600], maskReplaceProb: 0.2, randomReplaceProb: 0.6 },
  ];
}

export function library(c: GoldenCase, tier: 'simd' | 'scalar' = 'simd'): { inputIds: number[]; labels: number[] } {
  const { ids, sampleIds, ...options } = c;
  if (options.wordStarts) options.wordStarts = Uint8Array.from(options.wordStarts);
  const out = new Masker(options, { tier }).mask(Int32Array.from(ids), sampleIds);
  return { inputIds: [...out.inputIds], labels: [...out.labels] };
}

test('hash primitives match their frozen values', () => {
  assert.deepEqual([mix32(0), mix32(1), mix32(0xffffffff), streamKey(0, 0, 0), streamKey(1, 2, 3), positionHash(12345, 678)],
    JSON.parse(readFileSync(dir + 'hash-v1.json', 'utf8')));
});

test('the library reproduces the frozen golden vectors', () => {
  const golden = JSON.parse(readFileSync(dir + 'mask-v1.json', 'utf8'));
  const got = cases().map((c) => library(c));
  assert.equal(got.length, golden.length);
  got.forEach((g, i) => assert.deepEqual(g, golden[i], `case ${i}`));
  assert.ok(got.every((g) => g.labels.some((l) => l !== -100)), 'every case masks something');
});

test('both kernel tiers and the reference reproduce the frozen version-2 vectors (span masking, maxPredictions)', () => {
  const golden = JSON.parse(readFileSync(dir + 'mask-v2.json', 'utf8'));
  const all = casesV2();
  assert.equal(all.length, golden.length);
  all.forEach((c, i) => {
    assert.deepEqual(library(c), golden[i], `case ${i} simd`);
    assert.deepEqual(library(c, 'scalar'), golden[i], `case ${i} scalar`);
    const { ids, sampleIds, ...options } = c;
    if (options.wordStarts) options.wordStarts = Uint8Array.from(options.wordStarts);
    const ref = maskReference(Int32Array.from(ids), sampleIds, options);
    assert.deepEqual({ inputIds: [...ref.inputIds], labels: [...ref.labels] }, golden[i], `case ${i} reference`);
  });
  // Every cap case drops something (it would pass vacuously otherwise) and keeps at most N per row.
  all.forEach((c, i) => {
    if (c.maxPredictions === undefined) return;
    const { maxPredictions, ...free } = c;
    const uncapped = library(free);
    const count = (l: number[], r: number) => l.slice(r * 40, (r + 1) * 40).filter((x) => x !== -100).length;
    assert.ok([0, 1, 2].some((r) => count(uncapped.labels, r) > maxPredictions), `case ${i} caps a row`);
    assert.ok([0, 1, 2].every((r) => count(golden[i].labels, r) <= maxPredictions), `case ${i} within the cap`);
  });
});

test('an independent Python implementation of the README specification agrees', () => {
  const all = [...cases(), ...casesV2()];
  const input = all.map((c) => ({ ...c, wordStarts: c.wordStarts ? [...c.wordStarts] : undefined }));
  const out = execFileSync('python3', [dir + 'mask_spec.py'], { input: JSON.stringify(input), encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), all.map((c) => library(c)));
});

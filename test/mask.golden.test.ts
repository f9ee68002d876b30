// Golden vectors: the masking function is a documented contract (README, "Randomness").
// The library must match vectors frozen in test/golden/mask-v1.json, and an independent
// Python implementation written from the README (test/golden/mask_spec.py) must match too.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Masker, mix32, streamKey, positionHash, type MaskOptions } from 'maskpack';

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

function library(c: GoldenCase): { inputIds: number[]; labels: number[] } {
  const { ids, sampleIds, ...options } = c;
  if (options.wordStarts) options.wordStarts = Uint8Array.from(options.wordStarts);
  const out = new Masker(options).mask(Int32Array.from(ids), sampleIds);
  return { inputIds: [...out.inputIds], labels: [...out.labels] };
}

test('hash primitives match their frozen values', () => {
  assert.deepEqual([mix32(0), mix32(1), mix32(0xffffffff), streamKey(0, 0, 0), streamKey(1, 2, 3), positionHash(12345, 678)],
    JSON.parse(readFileSync(dir + 'hash-v1.json', 'utf8')));
});

test('the library reproduces the frozen golden vectors', () => {
  const golden = JSON.parse(readFileSync(dir + 'mask-v1.json', 'utf8'));
  const got = cases().map(library);
  assert.equal(got.length, golden.length);
  got.forEach((g, i) => assert.deepEqual(g, golden[i], `case ${i}`));
  assert.ok(got.every((g) => g.labels.some((l) => l !== -100)), 'every case masks something');
});

test('an independent Python implementation of the README specification agrees', () => {
  const input = cases().map((c) => ({ ...c, wordStarts: c.wordStarts ? [...c.wordStarts] : undefined }));
  const out = execFileSync('python3', [dir + 'mask_spec.py'], { input: JSON.stringify(input), encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), cases().map(library));
});

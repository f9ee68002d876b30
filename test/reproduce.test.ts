/**
 * docs/formats.md is a specification: these tests re-implement it from the document alone
 * (BERT's list-based structure, the documented domain constants written out as numbers) with
 * only the public hash functions, and require bit-identical results from the library.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildSampleIndex, epochPermutation, mix32, positionHash, streamKey, threshold31, uniformBelow,
  type PairSampleIndex, type Template,
} from 'maskpack';
import { pairDocumentsArb, storeOf, type Documents } from './helpers.js';

const SHRT = 0x73687274;
const SPLT = 0x73706c74;
const NSP = 0x6e737020;
const PDOC = 0x70646f63;
const PBEG = 0x70626567;
const TRNC = 0x74726e63;
const PERM = 0x7065726d;

const hash = (seed: number, epoch: number, id: number, domain: number, c: number) =>
  positionHash(mix32((streamKey(seed, epoch, id) ^ domain) >>> 0), c);
const coin = (h: number, p: number) => h >>> 1 < threshold31(p);

interface Segment { start: number; len: number }
interface Pair { aStart: number; aLength: number; bStart: number; bLength: number; label: number; partner: number }

function referencePairs(docs: Documents, seqLen: number, template: Template, seed: number, epoch: number, unit: 'segment' | 'sentence'): Pair[] {
  const M = seqLen - (template === 'roberta' ? 4 : 3);
  let t = 0;
  const sentences: Segment[][] = docs.map((doc) => doc.map((s) => ({ start: (t += s.length) - s.length, len: s.length })));
  const nonEmpty = docs.map((_, d) => d).filter((d) => sentences[d].some((s) => s.len > 0));
  const out: Pair[] = [];
  nonEmpty.forEach((d, e) => {
    const segs = sentences[d].filter((s) => s.len > 0);
    const h = (domain: number, c: number) => hash(seed, epoch, d, domain, c);
    let target = unit === 'segment' ? M : 2;
    if (unit === 'segment' && coin(h(SHRT, 0), 0.1)) target = 2 + uniformBelow(h(SHRT, 1), M - 1);
    let chunk: Segment[] = [];
    let current = 0;
    let c = 0;
    for (let i = 0; i < segs.length; i++) {
      chunk.push(segs[i]);
      current += unit === 'segment' ? segs[i].len : 1;
      if (i !== segs.length - 1 && (current < target || chunk.length < 2)) continue;
      const n = chunk.length;
      const aEnd = n >= 2 ? 1 + uniformBelow(h(SPLT, c), n - 1) : 1;
      const split = !coin(h(NSP, c), 0.5) && n === 1 && chunk[0].len >= 2;
      const random = !split && (n === 1 || coin(h(NSP, c), 0.5));
      let aStart = chunk[0].start;
      let aLength = chunk.slice(0, aEnd).reduce((s, x) => s + x.len, 0);
      let bStart: number;
      let bLength = 0;
      let partner = d;
      if (split) {
        aLength = 1 + uniformBelow(h(SPLT, c), chunk[0].len - 1);
        bStart = aStart + aLength;
        bLength = chunk[0].len - aLength;
      } else if (random) {
        let r = uniformBelow(h(PDOC, c), nonEmpty.length - 1);
        if (r >= e) r++;
        partner = nonEmpty[r];
        const ps = sentences[partner];
        const need = Math.max(unit === 'segment' ? target - aLength : 1, 1);
        const from = (j: number) => {
          bStart = ps[j].start;
          bLength = 0;
          for (; j < ps.length && bLength < need; j++) bLength += ps[j].len;
        };
        from(uniformBelow(h(PBEG, c), ps.length));
        if (bLength === 0) from(0);
        i -= n - aEnd;
      } else {
        bStart = chunk[aEnd].start;
        bLength = chunk.slice(aEnd).reduce((s, x) => s + x.len, 0);
      }
      if (aLength + bLength > M) {
        const excess = aLength + bLength - M;
        const a2 = aLength > bLength ? Math.max(aLength - excess, Math.ceil(M / 2)) : M - Math.max(bLength - excess, Math.floor(M / 2));
        const b2 = M - a2;
        if (a2 < aLength && coin(h(TRNC, 2 * c), 0.5)) aStart += aLength - a2;
        if (b2 < bLength && coin(h(TRNC, 2 * c + 1), 0.5)) bStart! += bLength - b2;
        aLength = a2;
        bLength = b2;
      }
      out.push({ aStart, aLength, bStart: bStart!, bLength, label: random ? 1 : 0, partner });
      chunk = [];
      current = 0;
      c++;
    }
  });
  return out;
}

function pairsOf(index: PairSampleIndex): Pair[] {
  return Array.from({ length: index.numSamples }, (_, i) => ({
    aStart: index.aStart[i], aLength: index.aLength[i], bStart: index.bStart[i], bLength: index.bLength[i],
    label: index.flags[i] & 1, partner: index.partnerDocument[i],
  }));
}

for (const [format, unit] of [['segment-pair', 'segment'], ['sentence-pair', 'sentence']] as const) {
  test(`${format} follows docs/formats.md bit for bit`, () => {
    fc.assert(fc.property(pairDocumentsArb(), fc.integer({ min: 8, max: 48 }), fc.constantFrom<Template>('roberta', 'bert'),
      fc.nat({ max: 0xffffffff }), fc.nat({ max: 1000 }), (docs, seqLen, template, seed, epoch) => {
        const index = buildSampleIndex(storeOf(docs), { format, seqLen, template, seed, epoch }) as PairSampleIndex;
        assert.deepEqual(pairsOf(index), referencePairs(docs, seqLen, template, seed, epoch, unit));
      }), { seed: 99, numRuns: 200 });
  });
}

test('the epoch permutation follows docs/formats.md bit for bit', () => {
  for (const [n, seed, epoch] of [[1, 0, 0], [2, 1, 0], [1000, 0xffffffff, 3], [4097, 12345, 77]]) {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = uniformBelow(hash(seed, epoch, 0, PERM, i), i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    assert.deepEqual(Array.from(epochPermutation(n, seed, epoch)), order);
  }
});

test('uniformBelow(h, n) is floor(h * n / 2^32) exactly, on both sides of its 2^21 fast path', () => {
  const exact = (h: number, n: number) => Number((BigInt(h) * BigInt(n)) >> 32n);
  const edges = [1, 2, 3, 0x1fffff, 0x200000, 0x200001, 0xffffffff];
  for (const n of edges) for (const h of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff]) assert.equal(uniformBelow(h, n), exact(h, n), `h=${h} n=${n}`);
  // Where floor(h * n / 2^32) in doubles rounds up: h = -1/n mod 2^32 for odd n. A fast path
  // taken past n = 2^21 (2097785 is just above) gets these wrong.
  const inverse = (n: number) => Number((-modInverse(BigInt(n), 1n << 32n)) & 0xffffffffn);
  for (const n of [2097785, 3000001, 16777219, 0x10000001, 0x7fffffff, 0xfffffffd]) {
    const h = inverse(n);
    assert.notEqual(Math.floor((h * n) / 4294967296), exact(h, n), `h=${h} n=${n} is a case doubles get wrong`);
    assert.equal(uniformBelow(h, n), exact(h, n), `h=${h} n=${n}`);
  }
  assert.equal(uniformBelow(-1, 10), 9, 'h is read as unsigned');
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 0xffffffff }), (h, n) => uniformBelow(h, n) === exact(h, n)), { seed: 21, numRuns: 20000 });
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 0x200001 }), (h, n) => uniformBelow(h, n) === exact(h, n)), { seed: 22, numRuns: 20000 });
});

/** x^-1 mod m (x odd, m a power of two). */
function modInverse(x: bigint, m: bigint): bigint {
  let [a, b, u, v] = [x % m, m, 1n, 0n];
  while (b !== 0n) {
    const q = a / b;
    [a, b] = [b, a - q * b];
    [u, v] = [v, u - q * v];
  }
  return ((u % m) + m) % m;
}

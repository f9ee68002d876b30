// Span masking and maxPredictions: the SIMD tier, the scalar tier and the TypeScript reference
// agree bit for bit (random rows, edge cases, every format through the fused collate kernel),
// and the outputs have the documented structure (spans of whole words inside segments, one
// decision per span, the budget used exactly, the cap never exceeded).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  Collator, collateMaskReference, createMemoryStore, createSampler, FORMAT_NAMES, Masker, maskReference, mix32,
  planBatch, positionHash, robertaSpecials, streamKey, type MaskOptions, type TokenStore,
} from 'maskpack';
import { resolveMaskOptions, spanThresholds } from '../src/mask/options.js';
import { spanRow } from '../src/mask/reference.js';
import { bertSpecials, documentsArb, pairDocumentsArb, type Documents } from './helpers.js';

const V = 300;
const SPECIAL = [0, 1, 2, 3];
const MASK_ID = V - 1;
const wordStarts = Uint8Array.from({ length: V }, (_, i) => (mix32(i + 5) % 3 === 0 ? 0 : 1));

function sameEverywhere(ids: Int32Array, sampleIds: number[], options: MaskOptions, what: string): { inputIds: Int32Array; labels: Int32Array } {
  const want = maskReference(ids, sampleIds, options);
  for (const tier of ['simd', 'scalar'] as const) {
    const got = new Masker(options, { tier }).mask(ids, sampleIds);
    assert.deepEqual(got.inputIds, want.inputIds, `${what}: ${tier} inputIds`);
    assert.deepEqual(got.labels, want.labels, `${what}: ${tier} labels`);
  }
  return want;
}

const rowArb = (maxLen: number) => fc.array(fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...SPECIAL) }, { weight: 6, arbitrary: fc.integer({ min: 4, max: V - 2 }) }), { minLength: 0, maxLength: maxLen });
const optionsArb = fc.record({
  maskProb: fc.constantFrom(0, 0.01, 0.15, 0.3, 0.5, 1),
  selection: fc.constantFrom('bernoulli' as const, 'exact' as const),
  words: fc.boolean(),
  wholeWordMask: fc.boolean(),
  spanMask: fc.boolean(),
  spanP: fc.constantFrom(0.2, 0.05, 0.7, 1),
  spanMaxLength: fc.constantFrom(1, 3, 10, 256),
  maxPredictions: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
  seed: fc.nat(),
});

type Drawn = typeof optionsArb extends fc.Arbitrary<infer T> ? T : never;

function toOptions(o: Drawn): MaskOptions {
  return {
    vocabSize: V, maskId: MASK_ID, specialIds: SPECIAL, maskProb: o.maskProb, selection: o.selection, seed: o.seed,
    ...(o.words || o.wholeWordMask ? { wordStarts } : {}), wholeWordMask: o.wholeWordMask,
    ...(o.spanMask ? { spanMask: true, spanP: o.spanP, spanMaxLength: o.spanMaxLength } : {}),
    ...(o.maxPredictions === undefined ? {} : { maxPredictions: o.maxPredictions }),
  };
}

test('span masking and maxPredictions: SIMD = scalar = reference on random rows and options', () => {
  fc.assert(fc.property(fc.array(rowArb(90), { minLength: 1, maxLength: 4 }), optionsArb, (rows, o) => {
    const len = Math.max(...rows.map((r) => r.length));
    const ids = new Int32Array(rows.length * len).fill(1);
    rows.forEach((r, i) => ids.set(r, i * len));
    sameEverywhere(ids, rows.map((_, i) => i * 1000 + 7), toOptions(o), JSON.stringify(o));
  }), { numRuns: 400, seed: 1414 });
});

test('edge cases: rows of only specials, one token, budget larger than the row, maxPredictions 1', () => {
  const cases: number[][] = [[0, 1, 2, 3], [5], [0, 5, 2], [0, 5, 6, 7, 8, 9, 2, 3, 10, 11, 2], Array.from({ length: 600 }, (_, i) => 4 + (i % 290))];
  for (const row of cases) {
    const ids = Int32Array.from(row);
    for (const base of [{ spanMask: true }, { spanMask: true, wordStarts }, { maxPredictions: 1 }, { maxPredictions: 1, wholeWordMask: true, wordStarts }] as const) {
      for (const selection of ['bernoulli', 'exact'] as const) {
        for (const maskProb of [0, 0.15, 1]) {
          const options: MaskOptions = { vocabSize: V, maskId: MASK_ID, specialIds: SPECIAL, selection, maskProb, ...base };
          const out = sameEverywhere(ids, [3], options, `${row.length} ids ${JSON.stringify({ ...base, wordStarts: undefined, selection, maskProb })}`);
          const eligible = row.filter((id) => !SPECIAL.includes(id)).length;
          const labelled = out.labels.filter((l) => l !== -100).length;
          if (base.spanMask && maskProb === 1) assert.equal(labelled, eligible, 'maskProb 1 covers every eligible token');
          if ('maxPredictions' in base) assert.ok(labelled <= 1, `${labelled} labelled with maxPredictions 1`);
          for (let i = 0; i < row.length; i++) if (SPECIAL.includes(row[i])) assert.equal(out.labels[i], -100);
        }
      }
    }
  }
});

test('options: defaults, validation naming the option, spanP / spanMaxLength need spanMask', () => {
  const base = { vocabSize: V, maskId: MASK_ID, specialIds: SPECIAL };
  const p = resolveMaskOptions({ ...base, spanMask: true });
  assert.equal(p.spanP, 0.2);
  assert.equal(p.spanMaxLength, 10);
  assert.equal(p.spanWords, false);
  assert.equal(resolveMaskOptions({ ...base, spanMask: true, wordStarts }).spanWords, true);
  assert.equal(p.maxPredictions, undefined);
  assert.throws(() => resolveMaskOptions({ ...base, spanP: 0.3 }), /options\.spanP needs options\.spanMask/);
  assert.throws(() => resolveMaskOptions({ ...base, spanMaxLength: 3 }), /options\.spanMaxLength needs options\.spanMask/);
  assert.throws(() => resolveMaskOptions({ ...base, spanMask: true, spanP: 0 }), /options\.spanP must be in \(0, 1\], got 0/);
  assert.throws(() => resolveMaskOptions({ ...base, spanMask: true, spanP: 1.5 }), /options\.spanP/);
  assert.throws(() => resolveMaskOptions({ ...base, spanMask: true, spanMaxLength: 257 }), /options\.spanMaxLength must be an integer in \[1, 256\]/);
  assert.throws(() => resolveMaskOptions({ ...base, spanMask: 'yes' as unknown as boolean }), /options\.spanMask/);
  assert.throws(() => resolveMaskOptions({ ...base, maxPredictions: 0 }), /options\.maxPredictions must be an integer in \[1, /);
  assert.throws(() => resolveMaskOptions({ ...base, maxPredictions: 2.5 }), /options\.maxPredictions/);
  // The length thresholds are those of the renormalised clipped geometric.
  const t = spanThresholds(0.2, 10);
  assert.equal(t.length, 9);
  let total = 0;
  for (let i = 1; i <= 10; i++) total += 0.2 * 0.8 ** (i - 1);
  assert.ok(Math.abs(t[0] / 2 ** 32 - 0.2 / total) < 1e-9);
  assert.deepEqual([...spanThresholds(1, 4)], [4294967295, 4294967295, 4294967295]);
  assert.equal(spanThresholds(0.5, 1).length, 0);
});

test('span structure: whole-word spans inside segments, disjoint, one decision each, the exact budget used', () => {
  const p = resolveMaskOptions({ vocabSize: V, maskId: MASK_ID, specialIds: SPECIAL, spanMask: true, selection: 'exact', maskProb: 0.3, wordStarts, maskReplaceProb: 0.5, randomReplaceProb: 0.5 });
  let spans = 0;
  let cut = 0;
  for (let r = 0; r < 300; r++) {
    const len = 200;
    const ids = Int32Array.from({ length: len }, (_, i) => { const h = mix32(r * 4096 + i); return h % 23 === 0 ? 2 : 4 + (h % (V - 5)); });
    const labels = new Int32Array(len).fill(-100);
    const out = ids.slice();
    const key = streamKey(0, 0, r);
    const draws = spanRow(p, key, out, labels);
    const eligible = [...ids].filter((id) => id !== 2).length;
    const budget = Math.min(eligible, Math.floor(0.3 * eligible + mix32((key ^ 0x27d4eb2f) >>> 0) / 2 ** 32));
    assert.equal(labels.filter((l) => l !== -100).length, budget, 'the budget is used exactly');
    const covered = new Set<number>();
    draws.forEach((d, k) => {
      assert.ok(d.units >= 1 && d.units <= d.drawn && d.drawn <= 10);
      assert.ok(wordStarts[ids[d.start]] === 1 || d.start === 0 || ids[d.start - 1] === 2, 'a span starts at a word');
      const last = k === draws.length - 1;
      let end = d.start + d.tokens;
      if (!last) {
        // whole words: the next position does not continue a word of the span
        assert.ok(end >= len || ids[end] === 2 || wordStarts[ids[end]] === 1, `span ${k} of row ${r} ends at a word boundary`);
      } else if (end < len && ids[end] !== 2 && wordStarts[ids[end]] === 0) cut++;
      const masked = out[d.start] === MASK_ID;
      for (let i = d.start; i < end; i++) {
        assert.notEqual(ids[i], 2, 'no special inside a span');
        assert.ok(!covered.has(i), 'spans are disjoint');
        covered.add(i);
        assert.equal(labels[i], ids[i]);
        assert.equal(out[i] === MASK_ID, masked, 'one decision per span');
      }
      spans++;
    });
    assert.equal(covered.size, budget);
  }
  assert.ok(spans > 3000 && cut > 0, `${spans} spans, ${cut} cut by the budget`);
});

test('maxPredictions: a subset of the uncapped selection, min(N, count) for tokens, never more than N, same replacements', () => {
  const len = 128;
  const rows = 64;
  const ids = Int32Array.from({ length: rows * len }, (_, i) => { const h = mix32(i + 99); return h % 31 === 0 ? 2 : 4 + (h % (V - 5)); });
  const sampleIds = Array.from({ length: rows }, (_, r) => r);
  for (const mode of [{}, { selection: 'exact' as const }, { wholeWordMask: true, wordStarts }, { selection: 'exact' as const, wholeWordMask: true, wordStarts }, { spanMask: true, wordStarts }, { spanMask: true, selection: 'exact' as const }]) {
    const options: MaskOptions = { vocabSize: V, maskId: MASK_ID, specialIds: SPECIAL, maskProb: 0.3, seed: 5, ...mode };
    const free = new Masker(options).mask(ids, sampleIds);
    for (const n of [1, 7, 20, 1000]) {
      const capped = new Masker({ ...options, maxPredictions: n }).mask(ids, sampleIds);
      let dropped = 0;
      for (let r = 0; r < rows; r++) {
        let kept = 0;
        let before = 0;
        for (let i = r * len; i < (r + 1) * len; i++) {
          if (free.labels[i] !== -100) before++;
          if (capped.labels[i] === -100) {
            assert.equal(capped.inputIds[i], ids[i], 'a dropped position keeps its id');
            continue;
          }
          kept++;
          if (mode.spanMask) continue; // spans are re-drawn under the smaller budget
          assert.equal(free.labels[i], ids[i], 'kept positions were selected');
          assert.equal(capped.inputIds[i], free.inputIds[i], 'with the same replacement');
        }
        assert.ok(kept <= n, `${kept} > ${n}`);
        if (!mode.wholeWordMask) assert.equal(kept, Math.min(n, before), `row ${r}: min(N, count)`);
        else if (before <= n) assert.equal(kept, before);
        dropped += before - kept;
      }
      if (n === 1000) assert.equal(dropped, 0);
      else assert.ok(dropped > 0);
    }
  }
});

const roberta = (documents: Documents): TokenStore => createMemoryStore({ documents, vocabSize: 50265, specials: robertaSpecials });

function checkFormats(store: TokenStore, format: (typeof FORMAT_NAMES)[number], template: 'roberta' | 'bert', seqLen: number, mask: object): void {
  const sampler = createSampler(store, { format, template, seqLen, batchSize: 5, seed: 9 });
  const tiers = [new Collator(store, mask), new Collator(store, mask, { tier: 'scalar' })];
  for (let i = 0; i < sampler.numBatches(0); i++) {
    const b = sampler.next();
    const plan = planBatch(sampler, b);
    const want = collateMaskReference(store, plan, mask, { epoch: b.epoch });
    for (const c of tiers) {
      const got = c.collate(plan, { epoch: b.epoch });
      assert.deepEqual(got.inputIds, want.inputIds, `${format}/${template} ${c.tier} batch ${i} inputIds`);
      assert.deepEqual(got.labels, want.labels, `${format}/${template} ${c.tier} batch ${i} labels`);
    }
  }
}

for (const format of FORMAT_NAMES) {
  test(`${format}: the collate kernel's span masking and cap equal the reference, both templates`, () => {
    const pair = format.endsWith('pair');
    fc.assert(fc.property(pair ? pairDocumentsArb() : documentsArb(), fc.integer({ min: 8, max: 70 }), (docs, seqLen) => {
      const ws = Uint8Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? 1 : 0));
      checkFormats(roberta(docs), format, 'roberta', seqLen, { spanMask: true, seed: 9, maskProb: 0.3 });
      checkFormats(createMemoryStore({ documents: docs, vocabSize: 100, specials: bertSpecials, wordStarts: ws }), format, 'bert', seqLen,
        { spanMask: true, selection: 'exact', spanMaxLength: 4, maxPredictions: 5, seed: 9 });
      checkFormats(roberta(docs), format, 'roberta', seqLen, { maxPredictions: 3, seed: 2, maskProb: 0.4 });
    }), { numRuns: 15, seed: 77 });
  });
}

test('positionHash is what the span draws hash (a draw of the documented function)', () => {
  // The first span of a row starts at the uniformBelow(posHash(ks, 1), units)-th unit.
  const p = resolveMaskOptions({ vocabSize: V, maskId: MASK_ID, specialIds: SPECIAL, spanMask: true, maskProb: 0.05, selection: 'exact' });
  for (let r = 0; r < 50; r++) {
    const ids = Int32Array.from({ length: 100 }, (_, i) => 4 + ((i * 7 + r) % 200));
    const key = streamKey(0, 0, r);
    const draws = spanRow(p, key, ids.slice(), new Int32Array(100));
    const ks = mix32((key ^ 0xbb67ae85) >>> 0);
    assert.equal(draws[0].start, Math.floor((positionHash(ks, 1) * 100) / 2 ** 32));
  }
});

test('the loader: span masking in words from the store, any number of workers, capped rows; export records the options and reproduces', async () => {
  const { createLoader, exportBatches } = await import('maskpack');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { syntheticDocuments } = await import('./helpers.js');
  const ws = Uint8Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? 0 : 1));
  const store = createMemoryStore({ documents: syntheticDocuments(30, 5, 12, 30).map((d) => d.map((s) => s.map((t) => t % 96 + 4))), vocabSize: 100, specials: bertSpecials, wordStarts: ws });
  const options = { format: 'full-sentences' as const, template: 'bert' as const, seqLen: 64, batchSize: 4, seed: 8, spanMask: true, spanMaxLength: 5, maxPredictions: 6, maskProb: 0.3 };
  const runs = [];
  for (const workers of [0, 2]) {
    const batches = [];
    for await (const b of createLoader(store, { ...options, workers })) batches.push(b);
    runs.push(batches);
  }
  assert.ok(runs[0].length > 3);
  assert.deepEqual(runs[1].map((b) => [...b.labels]), runs[0].map((b) => [...b.labels]));
  assert.deepEqual(runs[1].map((b) => [...b.inputIds]), runs[0].map((b) => [...b.inputIds]));
  const sampler = createSampler(store, { format: 'full-sentences', template: 'bert', seqLen: 64, batchSize: 4, seed: 8 });
  let capped = 0;
  runs[0].forEach((b, i) => {
    const plan = planBatch(sampler, sampler.batch(0, i));
    const want = collateMaskReference(store, plan, { seed: 8, spanMask: true, spanMaxLength: 5, maxPredictions: 6, maskProb: 0.3 });
    assert.deepEqual(b.labels, want.labels, `batch ${i}: the reference in words (the store's word starts)`);
    const [rows, width] = b.shape;
    for (let r = 0; r < rows; r++) {
      const n = b.labels.subarray(r * width, (r + 1) * width).filter((l) => l !== -100).length;
      assert.ok(n <= 6);
      if (n === 6) capped++;
    }
  });
  assert.ok(capped > 0, 'some rows reach the cap');
  const out = mkdtempSync(join(tmpdir(), 'maskpack-span-'));
  try {
    await exportBatches(store, out, { ...options, workers: 0 });
    const record = JSON.parse(readFileSync(join(out, 'options.json'), 'utf8'));
    assert.equal(record.randomVersion, 2);
    assert.equal(record.options.spanMask, true);
    assert.equal(record.options.spanP, 0.2);
    assert.equal(record.options.spanMaxLength, 5);
    assert.equal(record.options.maxPredictions, 6);
    const again = [];
    for await (const b of createLoader(store, { ...record.options, workers: 0 })) again.push(b);
    assert.deepEqual(again.map((b) => [...b.labels]), runs[0].map((b) => [...b.labels]), 'options.json reproduces the batches');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { collateReference, createSampler, planBatch, epochPermutation, padWidth, type FormatName, type SamplerBatch, type SamplerOptions } from 'maskpack';
import { documentsArb, pairDocumentsArb, storeOf, syntheticDocuments } from './helpers.js';

const FORMATS: FormatName[] = ['full-sentences', 'doc-sentences', 'segment-pair', 'sentence-pair'];
const store = storeOf(syntheticDocuments(300, 3));

function take(options: SamplerOptions, count: number): SamplerBatch[] {
  const sampler = createSampler(store, options);
  return Array.from({ length: count }, () => sampler.next());
}

const plain = (b: SamplerBatch) => ({ ...b, sampleIds: Array.from(b.sampleIds) });

test('the epoch permutation is a bijection, a pure function of (seed, epoch), new each epoch', () => {
  fc.assert(fc.property(fc.nat({ max: 3000 }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 100 }), (n, seed, epoch) => {
    const p = epochPermutation(n, seed, epoch);
    assert.deepEqual(Array.from(p).sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
    assert.deepEqual(epochPermutation(n, seed, epoch), p);
    if (n > 20) assert.notDeepEqual(epochPermutation(n, seed, epoch + 1), p);
  }), { seed: 5, numRuns: 60 });
});

for (const format of FORMATS) {
  test(`${format}: every sample exactly once per epoch, batches within their size or token budget`, () => {
    for (const countPadding of [false, true]) {
      for (const pad of ['longest', 'multiple', 'max'] as const) {
        const sampler = createSampler(store, { format, seqLen: 64, batchSize: 16, countPadding, pad, seed: 9 });
        const o = sampler.options;
        const seen = new Uint8Array(sampler.index(0).numSamples);
        const rowLength = sampler.index(0).rowLength;
        for (let b = 0; b < sampler.numBatches(0); b++) {
          const batch = sampler.batch(0, b);
          const lengths = Array.from(batch.sampleIds, (id) => rowLength[id]);
          assert.equal(batch.width, padWidth(Math.max(...lengths), o));
          assert.ok(batch.width >= Math.max(...lengths) && batch.width <= 64);
          if (o.batchBy === 'count') assert.ok(batch.sampleIds.length === 16 || b === sampler.numBatches(0) - 1);
          else {
            const cost = countPadding ? lengths.length * batch.width : lengths.reduce((s, x) => s + x, 0);
            assert.ok(cost <= o.tokenBudget, `batch ${b} cost ${cost} over the budget ${o.tokenBudget}`);
            if (b + 1 < sampler.numBatches(0)) {
              const nextLen = rowLength[sampler.batch(0, b + 1).sampleIds[0]];
              const grown = countPadding ? (lengths.length + 1) * padWidth(Math.max(nextLen, ...lengths), o) : cost + nextLen;
              assert.ok(grown > o.tokenBudget, `greedy: batch ${b} could have taken the next row`);
            }
          }
          for (const id of batch.sampleIds) seen[id]++;
        }
        assert.ok(seen.every((x) => x === 1), 'each sample once');
      }
    }
  });
}

test('dropLast drops the final incomplete batch', () => {
  for (const format of FORMATS) {
    const keep = createSampler(store, { format, seqLen: 64, batchSize: 7 });
    const drop = createSampler(store, { format, seqLen: 64, batchSize: 7, dropLast: true });
    const n = keep.index(0).numSamples;
    if (keep.options.batchBy === 'count') assert.equal(drop.numBatches(0), Math.floor(n / 7));
    else assert.equal(drop.numBatches(0), keep.numBatches(0) - 1);
  }
});

test('doc-sentences and sentence-pair batch by real tokens, by default about those of their counterpart\'s batchSize rows', () => {
  for (const format of ['doc-sentences', 'sentence-pair'] as const) {
    const s = createSampler(store, { format, seqLen: 128, batchSize: 10 });
    assert.equal(s.options.batchBy, 'tokens');
    assert.ok(s.options.tokenBudget >= 128 && s.options.tokenBudget < 1280, `${format}: ${s.options.tokenBudget}`);
    assert.equal(s.options.countPadding, false);
    assert.ok(createSampler(store, { format, seqLen: 128, batchSize: 1 }).options.tokenBudget >= 128, 'never below seqLen');
  }
});

for (const format of FORMATS) {
  test(`${format}: resuming from any state equals the uninterrupted run, across epochs and rank counts`, () => {
    const options: SamplerOptions = { format, seqLen: 48, batchSize: 24, seed: 77 };
    const first = createSampler(store, options);
    const total = first.numBatches(0) + 5;
    const reference = take(options, total).map(plain);
    for (const at of [0, 1, first.numBatches(0) - 1, first.numBatches(0), total - 2]) {
      const s = createSampler(store, options);
      for (let i = 0; i < at; i++) s.next();
      const state = JSON.parse(JSON.stringify(s.state()));
      const resumed = createSampler(store, options);
      resumed.resume(state);
      for (let i = at; i < total; i++) assert.deepEqual(plain(resumed.next()), reference[i], `batch ${i} after resuming at ${at}`);
      if (at > 0) assert.deepEqual(s.stateAfter(s.batch(reference[at - 1].epoch, reference[at - 1].batchIndex)), state, 'stateAfter(last batch) = state()');
      const sharded = createSampler(store, { ...options, rank: 1, worldSize: 3 });
      sharded.resume(state);
      assert.equal(sharded.next().batchIndex, reference[at].batchIndex);
    }
  });
}

test('resume rejects a state of another seed or other options', () => {
  const s = createSampler(store, { seed: 1 });
  const state = s.state();
  assert.throws(() => createSampler(store, { seed: 2 }).resume(state), { name: 'RangeError', message: /state.seed must equal options.seed \(2\), got 1/ });
  assert.throws(() => createSampler(store, { seed: 1, seqLen: 256 }).resume(state), { name: 'RangeError', message: /state.optionsHash/ });
  assert.throws(() => s.resume({ ...state, batchIndex: 1e9 }), { name: 'RangeError', message: /state.batchIndex must be an integer in \[0, \d+\], got 1000000000/ });
  assert.doesNotThrow(() => createSampler(store, { seed: 1, rank: 2, worldSize: 4 }).resume(state));
});

for (const format of FORMATS) {
  test(`${format}: the union of ranks is the single-rank batch, for several world sizes`, () => {
    const options: SamplerOptions = { format, seqLen: 64, batchSize: 12, seed: 5, epoch: 2 };
    const single = take(options, 30);
    for (const worldSize of [2, 3, 5, 12]) {
      const ranks = Array.from({ length: worldSize }, (_, rank) => take({ ...options, rank, worldSize }, 30));
      single.forEach((batch, b) => {
        const union = ranks.flatMap((r) => Array.from(r[b].sampleIds));
        assert.deepEqual(union, Array.from(batch.sampleIds), `batch ${b}, worldSize ${worldSize}`);
        let offset = 0;
        for (const r of ranks) {
          assert.equal(r[b].width, batch.width);
          assert.equal(r[b].rowOffset, offset);
          assert.equal(r[b].globalRows, batch.sampleIds.length);
          offset += r[b].sampleIds.length;
        }
      });
    }
  });
}

test('random corpora: the ranks together cover every sample of an epoch exactly once', () => {
  fc.assert(fc.property(fc.constantFrom(...FORMATS).chain((f) => fc.tuple(fc.constant(f), f.endsWith('pair') ? pairDocumentsArb() : documentsArb())),
    fc.integer({ min: 1, max: 3 }), ([format, docs], worldSize) => {
      const s0 = storeOf(docs);
      const base = createSampler(s0, { format, seqLen: 16, batchSize: 3, seed: 1 });
      fc.pre(base.numBatches(0) > 0);
      const counts = new Uint8Array(base.index(0).numSamples);
      for (let rank = 0; rank < worldSize; rank++) {
        const s = createSampler(s0, { format, seqLen: 16, batchSize: 3, seed: 1, rank, worldSize });
        for (let b = 0; b < s.numBatches(0); b++) for (const id of s.batch(0, b).sampleIds) counts[id]++;
      }
      assert.ok(counts.every((c) => c === 1));
    }), { seed: 2026, numRuns: 120 });
});

test('end to end: the collated rank batches concatenate to the global batch, byte for byte', () => {
  for (const format of FORMATS) {
    const options: SamplerOptions = { format, seqLen: 40, batchSize: 10, seed: 12, pad: 'longest' };
    const single = createSampler(store, options);
    const ranks = [0, 1, 2].map((rank) => createSampler(store, { ...options, rank, worldSize: 3 }));
    for (let b = 0; b < 8; b++) {
      const global = collateReference(store, planBatch(single, single.next()));
      const parts = ranks.map((s) => collateReference(store, planBatch(s, s.next())));
      for (const key of ['inputIds', 'attentionMask', 'tokenTypeIds'] as const) {
        assert.deepEqual(Array.from(parts.flatMap((p) => Array.from(p[key]))), Array.from(global[key]), `${format} batch ${b} ${key}`);
      }
    }
  }
});

test('end to end: one full-sentences epoch of plans covers every store token exactly once', () => {
  const sampler = createSampler(store, { seqLen: 96, batchSize: 8, seed: 4 });
  const covered = new Uint8Array(store.numTokens);
  for (let b = 0; b < sampler.numBatches(0); b++) {
    const plan = planBatch(sampler, sampler.next());
    for (let i = 0; i < plan.items.length; i += 3) {
      if ((plan.items[i] & 1) === 0) continue;
      for (let t = plan.items[i + 1]; t < plan.items[i + 1] + plan.items[i + 2]; t++) covered[t]++;
    }
  }
  assert.equal(sampler.state().epoch, 0);
  assert.ok(covered.every((c) => c === 1));
});

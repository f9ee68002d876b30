// Weighted mixtures of stores: Megatron's blending (every prefix within one sample of the
// weights), each source's own order advancing across mixture epochs, the weights as used
// (explicit, natural, temperature), and the loader's guarantees (same bytes for any worker
// count, O(1) resume, ranks) exactly as for one store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  blend, collateMaskReference, createLoader, createMemoryStore, createSampler, epochPermutation, MaskpackError, mixtureWeights,
  planBatch, robertaSpecials, sourceSeed, type Batch, type LoaderOptions, type PaddedDenseLoaderOptions, type MixtureSource, type TokenStore,
} from 'maskpack';
import { bertSpecials, syntheticDocuments } from './helpers.js';

// Weights that the greedy lag rule (Megatron's) lets fall more than one draw behind.
test('blending stays within one draw where the greedy lag rule does not', () => {
  const raw = [0.01, 0.01, 0.01, 0.07826086957332706, 0.08347826087812857];
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => w / total);
  const greedy = (n: number): number => {
    const drawn = weights.map(() => 0);
    let worst = 0;
    for (let t = 1; t <= n; t++) {
      let best = 0;
      for (let s = 1; s < weights.length; s++) if (weights[s] * t - drawn[s] > weights[best] * t - drawn[best]) best = s;
      drawn[best]++;
      for (let s = 0; s < weights.length; s++) worst = Math.max(worst, Math.abs(drawn[s] - weights[s] * t));
    }
    return worst;
  };
  assert.ok(greedy(147) > 1, 'the greedy rule lags by more than one draw');
  const { source } = blend(weights, 147);
  const seen = weights.map(() => 0);
  source.forEach((s, p) => {
    seen[s]++;
    for (let k = 0; k < weights.length; k++) assert.ok(Math.abs(seen[k] - weights[k] * (p + 1)) < 1);
  });
});

const make = (docs: number, seed: number): TokenStore => createMemoryStore({ documents: syntheticDocuments(docs, seed, 8, 30), vocabSize: 50265, specials: robertaSpecials });
const big = make(120, 1);
const mid = make(40, 2);
const tiny = make(6, 3);
const sources: MixtureSource[] = [{ store: big, weight: 0.5 }, { store: mid, weight: 0.3 }, { store: tiny, weight: 0.2 }];
const base: PaddedDenseLoaderOptions = { seqLen: 64, batchSize: 10, seed: 7 };

test('blending: every prefix of an epoch holds each source within 1 - 1/(2(k - 1)) draws of its weighted share', () => {
  fc.assert(fc.property(fc.array(fc.double({ min: 0.01, max: 10, noNaN: true }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 400 }), (raw, n) => {
    const total = raw.reduce((a, b) => a + b, 0);
    const weights = raw.map((w) => w / total);
    const { source, ordinal, counts } = blend(weights, n);
    const bound = weights.length > 1 ? 1 - 1 / (2 * (weights.length - 1)) : 0.5;
    const seen = new Array(weights.length).fill(0);
    for (let p = 0; p < n; p++) {
      assert.equal(ordinal[p], seen[source[p]], 'ordinals count each source\'s draws');
      seen[source[p]]++;
      for (let s = 0; s < weights.length; s++) assert.ok(Math.abs(seen[s] - weights[s] * (p + 1)) <= bound + 1e-9, `prefix ${p + 1}, source ${s}`);
    }
    assert.deepEqual(counts, seen);
  }), { seed: 12, numRuns: 200 });
});

test('weights as used: natural shares by default, explicit weights, XLM-R temperature, and their errors', () => {
  const inputs = [{ weight: undefined, tokens: 1000, samples: 30 }, { weight: undefined, tokens: 10, samples: 10 }];
  assert.deepEqual(mixtureWeights(inputs, undefined), [0.75, 0.25]);
  assert.deepEqual(mixtureWeights(inputs.map((x, i) => ({ ...x, weight: [1, 3][i] })), undefined), [0.25, 0.75]);
  const t = mixtureWeights(inputs, 0.5); // ∝ sqrt(tokens): 31.6 : 3.16
  assert.ok(Math.abs(t[0] - Math.sqrt(1000) / (Math.sqrt(1000) + Math.sqrt(10))) < 1e-12);
  const both = mixtureWeights(inputs.map((x, i) => ({ ...x, weight: [1, 10][i] })), 0.5); // × the weights
  assert.ok(Math.abs(both[1] / both[0] - 10 * Math.sqrt(10) / Math.sqrt(1000)) < 1e-12);
  assert.throws(() => mixtureWeights([{ weight: 1, tokens: 1, samples: 1 }, { weight: undefined, tokens: 1, samples: 1 }], undefined), /sources\[1\]\.weight must be given/);
  assert.throws(() => mixtureWeights([{ weight: -1, tokens: 1, samples: 1 }], undefined), /sources\[0\]\.weight must be a finite number >= 0, got -1/);
  assert.throws(() => createSampler(sources, { mixAlpha: 2 }), /options\.mixAlpha must be in \[0, 1\], got 2/);
});

async function collect(options: PaddedDenseLoaderOptions, limit = Infinity): Promise<Batch[]> {
  const loader = createLoader(sources, { ...base, ...options });
  const out: Batch[] = [];
  for await (const b of loader) {
    out.push(b);
    if (out.length >= limit) break;
  }
  await loader.close();
  return out;
}

test('the loader over a mixture: the reference rows, sources by the blend, and each source\'s own order carrying on', async () => {
  const sampler = createSampler(sources, base);
  const n = sources.map((s) => createSampler(s.store, base).index(0).numSamples);
  assert.equal(sampler.epochLength(0), n[0] + n[1] + n[2], 'an epoch holds as many samples as the sources together');
  const batches = await collect({ workers: 0, epochs: 2 });
  // Every batch is the reference collate of its plan, with each row from its own source.
  let b = 0;
  for (let e = 0; e < 2; e++) {
    for (let i = 0; i < sampler.numBatches(e); i++, b++) {
      const plan = planBatch(sampler, sampler.batch(e, i));
      const want = collateMaskReference(sources, plan, { seed: 7 }, { epoch: e });
      assert.deepEqual(batches[b].inputIds, want.inputIds, `epoch ${e} batch ${i}`);
      assert.deepEqual(batches[b].labels, want.labels);
      assert.deepEqual(batches[b].sourceIds, want.sourceIds);
    }
  }
  assert.equal(b, batches.length);
  // Shares: every prefix within one row of the weights.
  const rows = batches.flatMap((x) => Array.from(x.sourceIds!));
  const seen = [0, 0, 0];
  const epochLength = sampler.epochLength(0);
  rows.forEach((s, p) => {
    seen[s]++;
    const inEpoch = (p % epochLength) + 1;
    const drawn = p < epochLength ? seen : seen.map((c, k) => c - rows.slice(0, epochLength).filter((x) => x === k).length);
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(drawn[k] - sources[k].weight! * inEpoch) < 1 + 1e-9, `position ${p}, source ${k}`);
  });
  // Each source's draws over the two epochs are its own stream: its epoch-0 order, then its epoch-1 order, …
  for (let k = 0; k < 3; k++) {
    const drawn = batches.flatMap((x) => Array.from(x.sampleIds).filter((_, r) => x.sourceIds![r] === k));
    const stream: number[] = [];
    for (let e = 0; stream.length < drawn.length; e++) stream.push(...epochPermutation(n[k], sourceSeed(7, k), e));
    assert.deepEqual(drawn, stream.slice(0, drawn.length), `source ${k} draws its own order`);
    const perEpoch = drawn.length / 2;
    if (k === 2) assert.ok(perEpoch > n[k], 'the small source repeats within a mixture epoch');
    if (k === 0) assert.ok(perEpoch < n[k], 'the large source is cut');
  }
});

test('a mixture gives the same bytes for 0, 1 and 2 workers, resumes in O(1), and two ranks make the global batch', async () => {
  for (const format of ['full-sentences', 'segment-pair'] as const) {
    const inline = await collect({ format, workers: 0, epochs: 2 });
    for (const workers of [1, 2]) {
      const got = await collect({ format, workers, epochs: 2 });
      assert.equal(got.length, inline.length);
      got.forEach((x, i) => {
        assert.deepEqual(x.inputIds, inline[i].inputIds, `${format}, ${workers} workers, batch ${i}`);
        assert.deepEqual(x.sourceIds, inline[i].sourceIds);
      });
    }
    const loader = createLoader(sources, { ...base, format, workers: 1, epochs: 2 });
    const half = Math.floor(inline.length * 0.6);
    for (let i = 0; i < half; i++) await loader.next();
    const state = loader.state();
    await loader.close();
    const rest = await collect({ format, workers: 2, epochs: 2, resume: state });
    assert.deepEqual(rest.map((x) => Array.from(x.inputIds)), inline.slice(half).map((x) => Array.from(x.inputIds)), `${format}: resumed`);
    const ranks = await Promise.all([0, 1].map((rank) => collect({ format, workers: 0, epochs: 2, rank, worldSize: 2 })));
    inline.forEach((g, i) => {
      assert.deepEqual(new Int32Array([...ranks[0][i].inputIds, ...ranks[1][i].inputIds]), g.inputIds, `${format}: batch ${i} from two ranks`);
      assert.deepEqual(new Int32Array([...ranks[0][i].sourceIds!, ...ranks[1][i].sourceIds!]), g.sourceIds);
    });
  }
});

test('a state resumes only the same mixture, and one store as a one-source list is the plain store', async () => {
  const state = createSampler(sources, base).state();
  assert.throws(() => createSampler([{ store: big, weight: 0.6 }, { store: mid, weight: 0.2 }, { store: tiny, weight: 0.2 }], base).resume(state), /state\.optionsHash must equal/);
  const one = createLoader([{ store: big }], { ...base, workers: 0 });
  const plain = createLoader(big, { ...base, workers: 0 });
  const [a, b] = [(await one.next()).value as Batch, (await plain.next()).value as Batch];
  assert.deepEqual(a.inputIds, b.inputIds);
  assert.equal(a.sourceIds, undefined);
  await one.close();
  await plain.close();
});

test('the same sample id in two sources with the same tokens gets unrelated masks', async () => {
  const twin = make(120, 1);
  const loader = createLoader([{ store: big, weight: 1 }, { store: twin, weight: 1 }], { ...base, workers: 0, batchSize: 400 });
  const batch = (await loader.next()).value as Batch;
  await loader.close();
  const L = batch.shape[1];
  const bySource = [new Map<number, string>(), new Map<number, string>()];
  for (let r = 0; r < batch.shape[0]; r++) bySource[batch.sourceIds![r]].set(batch.sampleIds[r], Array.from(batch.labels.subarray(r * L, (r + 1) * L)).join());
  let same = 0;
  let pairs = 0;
  for (const [id, labels] of bySource[0]) {
    if (!bySource[1].has(id)) continue;
    pairs++;
    if (bySource[1].get(id) === labels) same++;
  }
  assert.ok(pairs >= 20, `${pairs} sample ids drawn from both sources`);
  assert.equal(same, 0, 'no identical label rows');
});

test('stores that disagree on what ids mean cannot be mixed: the error names both stores and the field', () => {
  const bert = createMemoryStore({ documents: syntheticDocuments(5, 4), vocabSize: 50265, specials: bertSpecials });
  assert.throws(() => createLoader([{ store: big, weight: 1 }, { store: bert, weight: 1 }], base), (e: unknown) =>
    e instanceof MaskpackError && e.code === 'ERR_BAD_INPUT' && /sources\[1\] and sources\[0\] cannot be mixed: their specialTokens differ/.test(e.message));
  const small = createMemoryStore({ documents: syntheticDocuments(5, 4), vocabSize: 100, specials: { ...bertSpecials } });
  assert.throws(() => createSampler([{ store: big }, { store: small }]), /their vocabSize differ \(100 and 50265\)/);
  assert.throws(() => createSampler([]), /sources must hold 1 to 255 stores, got 0/);
});

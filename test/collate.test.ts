// The fused collate + mask kernel (SIMD and scalar) equals the TypeScript reference
// (collateReference then maskReference) for every format and template.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  Collator, collateMaskReference, createMemoryStore, createSampler, FORMAT_NAMES, MaskpackError, planBatch, robertaSpecials,
  type Batch, type RowPlan, type TokenStore,
} from 'maskpack';
import { fillAttention, type OutputBuffers } from '../src/collate/kernel.js';
import { outputBuffers } from '../src/loader/protocol.js';
import { bertSpecials, documentsArb, pairDocumentsArb, syntheticDocuments, type Documents } from './helpers.js';

const roberta = (documents: Documents): TokenStore => createMemoryStore({ documents, vocabSize: 50265, specials: robertaSpecials });
const bert = (documents: Documents): TokenStore => createMemoryStore({ documents, vocabSize: 100, specials: bertSpecials });

function assertSameBatch(got: Batch, want: Batch, what: string): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  assert.deepEqual(got.inputIds, want.inputIds, `${what}: inputIds`);
  assert.deepEqual(got.labels, want.labels, `${what}: labels`);
  assert.deepEqual(got.attentionMask, want.attentionMask, `${what}: attentionMask`);
  assert.deepEqual(got.tokenTypeIds, want.tokenTypeIds, `${what}: tokenTypeIds`);
  assert.deepEqual(got.nextSentenceLabel, want.nextSentenceLabel, `${what}: nextSentenceLabel`);
  assert.deepEqual(got.sampleIds, want.sampleIds, `${what}: sampleIds`);
}

function checkEpoch(store: TokenStore, format: (typeof FORMAT_NAMES)[number], template: 'roberta' | 'bert', seqLen: number, epoch: number, mask = {}): number {
  const sampler = createSampler(store, { format, template, seqLen, batchSize: 5, seed: 9, epoch });
  const simd = new Collator(store, { seed: 9, ...mask });
  const scalar = new Collator(store, { seed: 9, ...mask }, { tier: 'scalar' });
  let batches = 0;
  for (let i = 0; i < sampler.numBatches(epoch); i++) {
    const b = sampler.next();
    const plan = planBatch(sampler, b);
    const want = collateMaskReference(store, plan, { seed: 9, ...mask }, { epoch: b.epoch });
    assertSameBatch(simd.collate(plan, { epoch: b.epoch }), want, `${format}/${template} simd batch ${i}`);
    assertSameBatch(scalar.collate(plan, { epoch: b.epoch }), want, `${format}/${template} scalar batch ${i}`);
    batches++;
  }
  return batches;
}

for (const format of FORMAT_NAMES) {
  const pair = format.endsWith('pair');
  test(`${format}: kernel tiers equal the reference on random corpora, both templates`, () => {
    fc.assert(fc.property(pair ? pairDocumentsArb() : documentsArb(), fc.integer({ min: 8, max: 70 }), fc.nat({ max: 3 }),
      (docs, seqLen, epoch) => {
        checkEpoch(roberta(docs), format, 'roberta', seqLen, epoch);
        checkEpoch(bert(docs), format, 'bert', seqLen, epoch, { maskProb: 0.5, selection: 'exact' });
      }), { numRuns: 40, seed: 4242 });
  });
}

test('a larger corpus at seqLen 512 with whole-word masking and static masking', () => {
  const docs = syntheticDocuments(60, 77, 20, 60);
  const wordStarts = Uint8Array.from({ length: 100 }, (_, i) => (i % 4 === 0 ? 1 : 0));
  const store = createMemoryStore({ documents: docs, vocabSize: 100, specials: bertSpecials, wordStarts });
  assert.ok(checkEpoch(store, 'full-sentences', 'bert', 512, 2, { wholeWordMask: true, dupeFactor: 2 }) > 1);
  assert.ok(checkEpoch(store, 'segment-pair', 'bert', 128, 1, { wholeWordMask: true }) > 1);
});

test('one collator switching between epochs masks each call with its own epoch', () => {
  // The kernel keeps the last parameters it was given: a call without an epoch after one with
  // must load the defaults again, and a repeated epoch must not reuse another epoch's masks.
  const store = roberta(syntheticDocuments(12, 21));
  const collator = new Collator(store, { seed: 5 });
  const sampler = createSampler(store, { seqLen: 64, batchSize: 6, seed: 5 });
  const plan = planBatch(sampler, sampler.next());
  const epochs = [1, undefined, 1, 2, 2, undefined, 0, 3];
  const seen = new Set<string>();
  for (const epoch of epochs) {
    const call = epoch === undefined ? {} : { epoch };
    const got = collator.collate(plan, call);
    assertSameBatch(got, collateMaskReference(store, plan, { seed: 5 }, call), `epoch ${epoch}`);
    seen.add(Array.from(got.inputIds).join(','));
  }
  assert.equal(seen.size, 4, 'epochs 0 (the default), 1, 2 and 3 mask differently');
});

test('the kernel host masks every call at its own epoch (per-row keys), into buffers given back', () => {
  // What the loader's workers do: batch after batch of changing epochs, into buffers given back.
  const store = roberta(syntheticDocuments(12, 23));
  const collator = new Collator(store, { seed: 3 });
  const sampler = createSampler(store, { seqLen: 64, batchSize: 6, seed: 3 });
  const plans = [planBatch(sampler, sampler.next()), planBatch(sampler, sampler.next())];
  let into: OutputBuffers | undefined;
  let k = 0;
  for (const epoch of [1, 1, 2, 2, undefined, 1, 0, 0, 3, 3]) {
    const plan = plans[k++ % plans.length];
    const got = collator.kernel.run('simd', plan, epoch ?? collator.params.epoch, into) as Batch;
    assertSameBatch(got, collateMaskReference(store, plan, { seed: 3 }, epoch === undefined ? {} : { epoch }), `call ${k}, epoch ${epoch}`);
    into = outputBuffers(got);
  }
});

test('batches are fresh, non-shared buffers; pair formats carry token types and NSP labels', () => {
  const store = roberta(syntheticDocuments(10, 3));
  const collator = new Collator(store);
  for (const format of ['full-sentences', 'segment-pair'] as const) {
    const sampler = createSampler(store, { format, seqLen: 64, batchSize: 4 });
    const batch = collator.collate(planBatch(sampler, sampler.next()));
    const arrays = [batch.inputIds, batch.labels, batch.attentionMask, batch.sampleIds, batch.tokenTypeIds, batch.nextSentenceLabel];
    for (const a of arrays.filter((x) => x !== undefined)) {
      assert.ok(!(a!.buffer instanceof SharedArrayBuffer) && a!.byteOffset === 0 && a!.buffer.byteLength === a!.byteLength);
    }
    assert.equal(batch.tokenTypeIds !== undefined, format === 'segment-pair');
    assert.equal(batch.nextSentenceLabel?.length, format === 'segment-pair' ? batch.shape[0] : undefined);
  }
});

test('a plan the kernel could run past is refused before it runs', () => {
  const store = roberta(syntheticDocuments(4, 5));
  const collator = new Collator(store);
  const sampler = createSampler(store, { seqLen: 32, batchSize: 2 });
  const good = planBatch(sampler, sampler.next());
  const bad = (patch: (p: RowPlan) => void): RowPlan => {
    const p = { ...good, items: good.items.slice(), rowItemStart: good.rowItemStart.slice() };
    patch(p);
    return p;
  };
  const spanItem = [...Array(good.items.length / 3).keys()].find((k) => good.items[3 * k] & 1)!;
  const cases: [RowPlan, RegExp][] = [
    [bad((p) => { p.items[3 * spanItem + 1] = store.numTokens; }), /outside the store's \d+ tokens/],
    [bad((p) => { p.width = 3; }), /more than the width 3/],
    [bad((p) => { p.items[3 * 0 + 1] = 70000; }), /token 70000 outside the vocabulary/],
    [bad((p) => { p.rowItemStart[1] = -1; }), /row starts decrease at row 0/],
  ];
  for (const [plan, message] of cases) {
    assert.throws(() => collator.collate(plan), (e: unknown) => e instanceof MaskpackError && e.code === 'ERR_BAD_INPUT' && message.test(e.message));
  }
});

test('fillAttention: ones over each row length, zeros after, for any width, row count and byte offset', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.nat(40), { minLength: 1, maxLength: 9 }), fc.integer({ min: 0, max: 3 }), (width, raw, offset) => {
    const rowLengths = raw.map((l) => Math.min(l, width));
    const n = rowLengths.length * width;
    const buffer = new ArrayBuffer(4 * (n + offset + 1));
    new Int32Array(buffer).fill(7); // stale values of an earlier batch
    const attention = new Int32Array(buffer, 4 * offset, n);
    fillAttention(attention, rowLengths, width);
    for (let r = 0; r < rowLengths.length; r++) {
      for (let j = 0; j < width; j++) assert.equal(attention[r * width + j], j < rowLengths[r] ? 1 : 0, `row ${r} position ${j}`);
    }
    assert.equal(new Int32Array(buffer)[offset + n], 7, 'nothing written past the view');
  }), { seed: 8, numRuns: 500 });
});

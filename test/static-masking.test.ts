// Static masking (BERT's dupe factor) for every format: with dupeFactor k, epoch e holds exactly
// the rows of epoch e mod k (same samples, pairs, NSP labels and masks, byte for byte per row);
// only their order is drawn anew from e.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createLoader, createMemoryStore, createSampler, FORMAT_NAMES, robertaSpecials,
  type Batch, type FormatName, type LoaderOptions, type PaddedDenseLoaderOptions, type TokenStore,
} from 'maskpack';
import { bertSpecials, syntheticDocuments } from './helpers.js';

const docs = syntheticDocuments(30, 41, 10, 24);
const stores: Record<'roberta' | 'bert', TokenStore> = {
  roberta: createMemoryStore({ documents: docs, vocabSize: 50265, specials: robertaSpecials }),
  bert: createMemoryStore({ documents: docs, vocabSize: 100, specials: bertSpecials }),
};

/** Each row of a batch without its padding: ids, labels, token types and NSP label, as one string. */
function rowsOf(batch: Batch): string[] {
  const [B, L] = batch.shape;
  return Array.from({ length: B }, (_, r) => {
    let n = 0;
    while (n < L && batch.attentionMask[r * L + n] === 1) n++;
    const cut = (a: Int32Array | undefined) => (a ? Array.from(a.subarray(r * L, r * L + n)) : []);
    return JSON.stringify([cut(batch.inputIds), cut(batch.labels), cut(batch.tokenTypeIds), batch.nextSentenceLabel?.[r] ?? null]);
  });
}

/** The rows of each epoch, in delivery order. */
async function epochRows(store: TokenStore, options: PaddedDenseLoaderOptions, epochs: number): Promise<string[][]> {
  const out: string[][] = Array.from({ length: epochs }, () => []);
  const loader = createLoader(store, { seqLen: 64, batchSize: 8, seed: 12, workers: 0, ...options, epochs });
  for (;;) {
    const { epoch } = loader.state(); // the epoch of the batch delivered next
    const { value, done } = await loader.next();
    if (done) return out;
    out[epoch].push(...rowsOf(value));
  }
}

const sorted = (rows: string[]): string[] => [...rows].sort();

/** How many rows of `a` have an equal row in `b` (as multisets). */
function common(a: string[], b: string[]): number {
  const left = new Map<string, number>();
  for (const r of b) left.set(r, (left.get(r) ?? 0) + 1);
  let n = 0;
  for (const r of a) {
    const k = left.get(r) ?? 0;
    if (k > 0) {
      n++;
      left.set(r, k - 1);
    }
  }
  return n;
}

for (const format of FORMAT_NAMES) {
  for (const template of ['roberta', 'bert'] as const) {
    test(`${format} (${template}): with dupeFactor 2, epoch 2 holds the rows of epoch 0 in a new order; without it, other rows`, async () => {
      const store = stores[template];
      const [e0, e1, e2, e3] = await epochRows(store, { format, template, dupeFactor: 2 }, 4);
      assert.ok(e0.length > 20, `${e0.length} rows`);
      assert.deepEqual(sorted(e2), sorted(e0), 'epoch 2 = epoch 0 as a multiset');
      assert.deepEqual(sorted(e3), sorted(e1), 'epoch 3 = epoch 1 as a multiset');
      assert.notDeepEqual(e2, e0, 'the order is drawn from the epoch itself');
      assert.ok(common(e1, e0) < e0.length / 10, 'epochs 0 and 1 of the cycle differ');
      const [d0, , d2] = await epochRows(store, { format, template }, 3);
      assert.deepEqual(d0, e0, 'epoch 0 is the same with and without dupeFactor');
      assert.ok(common(d2, d0) < d0.length / 10, `dynamic: ${common(d2, d0)} of ${d0.length} rows of epoch 2 in epoch 0`);
    });
  }
}

test('static masking holds through the worker pool too (the shared index of epoch e mod k)', async () => {
  const [e0, , e2] = await epochRows(stores.roberta, { format: 'segment-pair', dupeFactor: 2, workers: 2 }, 3);
  const [inline0] = await epochRows(stores.roberta, { format: 'segment-pair', dupeFactor: 2 }, 1);
  assert.deepEqual(e0, inline0);
  assert.deepEqual(sorted(e2), sorted(e0));
});

test('dupeFactor is part of the pair formats\' optionsHash, and a state resumes within the cycle', () => {
  const hash = (format: FormatName, dupeFactor?: number) => createSampler(stores.roberta, { format, seqLen: 64, dupeFactor }).optionsHash;
  for (const format of ['segment-pair', 'sentence-pair'] as const) {
    assert.notEqual(hash(format, 2), hash(format));
    assert.notEqual(hash(format, 2), hash(format, 3));
  }
  assert.equal(hash('full-sentences', 2), hash('full-sentences'), 'the single formats\' batches do not depend on it');
  const options = { format: 'segment-pair' as const, seqLen: 64, batchSize: 8, seed: 4, dupeFactor: 2 };
  const run = createSampler(stores.roberta, options);
  for (let i = 0; i < run.numBatches(0) + run.numBatches(1) + 2; i++) run.next();
  const state = run.state();
  assert.equal(state.epoch, 2);
  assert.equal(run.numBatches(2), run.numBatches(0));
  const resumed = createSampler(stores.roberta, options);
  resumed.resume(state);
  for (let i = 0; i < 5; i++) assert.deepEqual(resumed.next(), run.next());
  assert.throws(() => createSampler(stores.roberta, { ...options, dupeFactor: undefined }).resume(state), /optionsHash/);
  assert.throws(() => createSampler(stores.roberta, { ...options, dupeFactor: 0 }), { name: 'RangeError', message: /^options\.dupeFactor must be an integer in \[1, 4294967295\], got 0$/ });
});

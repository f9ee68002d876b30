import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRowPlan, buildSampleIndex, collateReference, createMemoryStore, robertaSpecials, type RowPlan } from 'maskpack';
import { bertSpecials, storeOf } from './helpers.js';

/** Items of a plan as readable tuples. */
function items(plan: RowPlan): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < plan.items.length; i += 3) out.push([plan.items[i], plan.items[i + 1], plan.items[i + 2]]);
  return out;
}

// doc 0: [10 11 12] [13 14]   doc 1: (empty)   doc 2: [20] [21 22 23]   doc 3: [30 31]
const docs = [[[10, 11, 12], [13, 14]], [], [[20], [21, 22, 23]], [[30, 31]]];

test('full-sentences: adjacent sentences of a document are one span, separators are literals', () => {
  const store = storeOf(docs);
  const index = buildSampleIndex(store, { format: 'full-sentences', seqLen: 16 });
  assert.equal(index.numSamples, 1);
  const plan = buildRowPlan(store, store.specials, index, Uint32Array.of(0), 16);
  assert.deepEqual(items(plan), [
    [0, 0, 0], // <s>
    [1, 0, 5], // doc 0: flat tokens 0..4
    [0, 2, 0], // </s> between documents (the empty document adds nothing)
    [1, 5, 4], // doc 2
    [0, 2, 0],
    [1, 9, 2], // doc 3
    [0, 2, 0], // </s>
  ]);
  assert.deepEqual(Array.from(plan.rowItemStart), [0, 7]);
  assert.deepEqual(Array.from(plan.rowLengths), [15]);
  const { inputIds, attentionMask, tokenTypeIds } = collateReference(store, plan);
  assert.deepEqual(Array.from(inputIds), [0, 10, 11, 12, 13, 14, 2, 20, 21, 22, 23, 2, 30, 31, 2, 1]);
  assert.deepEqual(Array.from(attentionMask), [...new Array(15).fill(1), 0]);
  assert.deepEqual(Array.from(tokenTypeIds), new Array(16).fill(0));
});

test('pairs: RoBERTa <s> A </s></s> B </s> and BERT [CLS] A [SEP] B [SEP], token types 0 | 1', () => {
  for (const [template, specials] of [['roberta', robertaSpecials], ['bert', bertSpecials]] as const) {
    const store = createMemoryStore({ documents: docs, vocabSize: 50265, specials });
    const index = buildSampleIndex(store, { format: 'sentence-pair', seqLen: 16, template, seed: 3 });
    const plan = buildRowPlan(store, store.specials, index, Uint32Array.of(0), 16);
    if (index.kind !== 'pair') throw new Error('pair index expected');
    const open = template === 'roberta' ? specials.bos : specials.cls;
    const close = template === 'roberta' ? specials.eos : specials.sep;
    const expected = [[0, open, 0], [1, index.aStart[0], index.aLength[0]], [0, close, 0]];
    if (template === 'roberta') expected.push([2, close, 0]);
    expected.push([3, index.bStart[0], index.bLength[0]], [2, close, 0]);
    assert.deepEqual(items(plan), expected, template);
    assert.deepEqual(Array.from(plan.nextSentenceLabel!), [index.flags[0] & 1]);
  }
});

test('plans own their arrays and pad to the given width', () => {
  const store = storeOf(docs);
  const index = buildSampleIndex(store, { format: 'doc-sentences', seqLen: 8 });
  const ids = Uint32Array.from({ length: index.numSamples }, (_, i) => index.numSamples - 1 - i);
  const a = buildRowPlan(store, store.specials, index, ids, 8);
  const snapshot = items(a);
  const b = buildRowPlan(store, store.specials, index, ids.subarray(1), 8);
  assert.deepEqual(items(a), snapshot, 'a later plan does not overwrite an earlier one');
  assert.notEqual(a.sampleIds, ids);
  assert.equal(a.rows, index.numSamples);
  assert.equal(b.rows, index.numSamples - 1);
  const { inputIds } = collateReference(store, a);
  assert.equal(inputIds.length, a.rows * 8);
});

test('the reference collate rejects a plan whose rows exceed the width', () => {
  const store = storeOf(docs);
  const index = buildSampleIndex(store, { format: 'full-sentences', seqLen: 16 });
  const plan = buildRowPlan(store, store.specials, index, Uint32Array.of(0), 8);
  assert.throws(() => collateReference(store, plan), { name: 'MaskpackError', code: 'ERR_BAD_INPUT' });
});

test('the memory store reads tokens and bytes of the flat sequence', () => {
  const store = storeOf(docs);
  assert.equal(store.numTokens, 11);
  assert.equal(store.numSentences, 5);
  assert.deepEqual(Array.from(store.documentIndex), [0, 2, 2, 4, 5]);
  assert.deepEqual(Array.from(store.documentTokenStarts), [0, 5, 5, 9, 11]);
  assert.deepEqual(Array.from(store.readSentenceLengths(0, 5)), [3, 2, 1, 3, 2]);
  assert.deepEqual(Array.from(store.readSentenceLengths(2, 2, new Int32Array(4))), [1, 3]);
  assert.throws(() => store.readSentenceLengths(4, 2), RangeError);
  const out = new Int32Array(5);
  store.readTokens(4, 3, out, 1);
  assert.deepEqual(Array.from(out), [0, 14, 20, 21, 0]);
  const bytes = new Uint8Array(8);
  store.readBytes(4, bytes);
  assert.deepEqual(Array.from(bytes), [11, 0, 0, 0, 12, 0, 0, 0]);
  assert.throws(() => store.readTokens(10, 2, out), RangeError);
});

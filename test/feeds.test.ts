import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from 'onnxruntime-node';
import { Collator, createMemoryStore, createSampler, createTrainer, planBatch, robertaSpecials, type Batch } from 'maskpack';
import { syntheticDocuments } from './helpers.js';
import { toFeeds } from 'maskpack/onnxruntime';

function batch(B: number, L: number, opts: { shared?: boolean; pairs?: boolean } = {}): Batch {
  const make = (n: number, f: (i: number) => number) => {
    const a = opts.shared ? new Int32Array(new SharedArrayBuffer(n * 4)) : new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = f(i);
    return a;
  };
  return {
    inputIds: make(B * L, (i) => 5 + i),
    attentionMask: make(B * L, (i) => (i % L < L - 1 ? 1 : 0)),
    labels: make(B * L, (i) => (i % 3 === 0 ? 7 + i : -100)),
    ...(opts.pairs ? { tokenTypeIds: make(B * L, (i) => (i % L >= L / 2 ? 1 : 0)), nextSentenceLabel: make(B, (i) => i % 2) } : {}),
    shape: [B, L],
    sampleIds: new Uint32Array(B),
  };
}

describe('toFeeds', () => {
  it('wraps the batch buffers as int32 tensors without copying', () => {
    const b = batch(3, 4, { pairs: true });
    const f = toFeeds(b);
    const pairs: Array<[Tensor | undefined, Int32Array | undefined, number[]]> = [
      [f.input_ids, b.inputIds, [3, 4]], [f.attention_mask, b.attentionMask, [3, 4]], [f.labels, b.labels, [3, 4]],
      [f.token_type_ids, b.tokenTypeIds, [3, 4]], [f.next_sentence_label, b.nextSentenceLabel, [3]],
    ];
    for (const [t, a, dims] of pairs) {
      assert.ok(t !== undefined && a !== undefined);
      assert.equal(t.type, 'int32');
      assert.deepEqual(t.dims, dims);
      assert.equal(t.data, a, 'the tensor holds the batch array itself');
      assert.equal((t.data as Int32Array).buffer, a.buffer);
    }
    assert.deepEqual(Object.keys(toFeeds(batch(1, 2))).sort(), ['attention_mask', 'input_ids', 'labels']);
  });

  it('converts to fresh int64 tensors with the same values', () => {
    const b = batch(2, 5, { pairs: true });
    const f = toFeeds(b, { dtype: 'int64' });
    for (const [t, a] of [[f.input_ids, b.inputIds], [f.labels, b.labels], [f.next_sentence_label, b.nextSentenceLabel]] as const) {
      assert.ok(t !== undefined && a !== undefined);
      assert.equal(t.type, 'int64');
      assert.ok(t.data instanceof BigInt64Array);
      assert.deepEqual(Array.from(t.data as BigInt64Array, Number), Array.from(a));
      assert.notEqual((t.data as BigInt64Array).buffer, a.buffer);
    }
    assert.deepEqual(f.labels.dims, [2, 5]);
  });

  it('copies arrays over a SharedArrayBuffer into owned buffers, which ONNX Runtime accepts', async () => {
    const b = batch(2, 3, { shared: true });
    const f = toFeeds(b);
    const data = f.input_ids.data as Int32Array;
    assert.ok(!(data.buffer instanceof SharedArrayBuffer));
    assert.deepEqual(Array.from(data), Array.from(b.inputIds));
    const trainer = await createTrainer({ model: { vocabSize: 32, hidden: 8, layers: 1, heads: 2, ffn: 8, maxPositions: 3 } });
    try {
      const r = await trainer.evaluate(b);
      assert.ok(Number.isFinite(r.loss) && r.loss > 0, `loss ${r.loss}`);
    } finally {
      await trainer.close();
    }
  });

  it('validates options and shapes', () => {
    const b = batch(2, 3);
    assert.throws(() => toFeeds(b, { dtype: 'float32' as never }), { name: 'TypeError', message: /options\.dtype .* got float32/ });
    assert.throws(() => toFeeds({ ...b, shape: [3, 3] }), { name: 'RangeError', message: /batch\.inputIds must have 9 elements/ });
    assert.throws(() => toFeeds({ ...b, labels: new Float32Array(6) as never }), { name: 'TypeError', message: /batch\.labels/ });
    assert.throws(() => toFeeds({ ...b, shape: [-1, 3] }), { name: 'RangeError', message: /batch\.shape/ });
  });

  it('takes packed and sparse batches: one tensor per array, named and shaped as the batch holds it', () => {
    const store = createMemoryStore({ documents: syntheticDocuments(12, 5), vocabSize: 50265, specials: robertaSpecials });
    const sampler = createSampler(store, { format: 'segment-pair', seqLen: 48, batchSize: 4, seed: 2 });
    const plan = planBatch(sampler, sampler.next());
    const b = new Collator(store, { layout: 'packed', labels: 'sparse', maxPredictions: 40 }).collate(plan);
    const T = b.shape[0];
    const f = toFeeds(b);
    assert.deepEqual(Object.keys(f), ['input_ids', 'position_ids', 'cu_seqlens', 'max_seqlen', 'masked_positions', 'masked_ids', 'masked_weights', 'masked_row_start', 'token_type_ids', 'next_sentence_label']);
    const dims = Object.fromEntries(Object.entries(f).map(([k, t]) => [k, [t!.type, t!.dims]]));
    assert.deepEqual(dims, {
      input_ids: ['int32', [T]], position_ids: ['int32', [T]], cu_seqlens: ['int32', [5]], max_seqlen: ['int32', []],
      masked_positions: ['int32', [4, 40]], masked_ids: ['int32', [4, 40]], masked_weights: ['float32', [4, 40]], masked_row_start: ['int32', [5]],
      token_type_ids: ['int32', [T]], next_sentence_label: ['int32', [4]],
    });
    assert.equal(f.input_ids.data, b.inputIds, 'no copy');
    assert.equal(f.masked_weights!.data, b.maskedWeights);
    assert.deepEqual(Array.from(f.max_seqlen!.data as Int32Array), [b.maxSeqlen]);
    const long = toFeeds(b, { dtype: 'int64' });
    assert.equal(long.masked_ids!.type, 'int64');
    assert.equal(long.masked_weights!.type, 'float32', 'weights stay float32');
    const flat = new Collator(store, { labels: 'sparse' }).collate(plan);
    assert.deepEqual(Object.keys(toFeeds(flat)), ['input_ids', 'attention_mask', 'masked_positions', 'masked_ids', 'masked_row_start', 'token_type_ids', 'next_sentence_label']);
    assert.deepEqual(toFeeds(flat).masked_ids!.dims, [flat.maskedIds.length]);
    assert.throws(() => toFeeds({ ...b, shape: [T + 1] }), { name: 'RangeError', message: /batch\.cuSeqlens must be an Int32Array of 5 row ends ending at T = / });
    assert.throws(() => toFeeds({ ...b, maskedWeights: new Float32Array(3) }), { name: 'RangeError', message: /batch\.maskedWeights must have 160 elements/ });
    assert.throws(() => toFeeds({ ...b, positionIds: new Float32Array(T) as never }), { name: 'TypeError', message: /batch\.positionIds must be an Int32Array/ });
  });
});

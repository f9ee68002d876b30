// Export layouts (`width`) and integer types (`dtype`), read back by numpy: 'epoch' pads to the
// epoch's widest batch, not to seqLen; 'batch' (sentence-pair's default) keeps each batch as the
// loader pads it; int64 holds the same values; and static masking survives the export.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLoader, createMemoryStore, exportBatches, robertaSpecials, type Batch, type ExportOptions, type LoaderOptions, type PaddedDenseLoaderOptions } from 'maskpack';
import { syntheticDocuments } from './helpers.js';
import { concat, loadWithNumpy, type NpyContent } from './helpers/numpy.js';

// Documents of at most 12 sentences of at most 30 tokens: every row is far below seqLen 512.
const store = createMemoryStore({ documents: syntheticDocuments(40, 23, 12, 30), vocabSize: 50265, specials: robertaSpecials });
const SEQ = 512;

async function batchesOf(options: PaddedDenseLoaderOptions): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of createLoader(store, { workers: 0, ...options, epochs: 1 })) out.push(b);
  return out;
}

/** An export of one epoch, loaded by numpy; the folder is removed afterwards. */
async function exported(options: ExportOptions): Promise<{ files: Record<string, NpyContent>; width: number | null; tokens: number }> {
  const out = mkdtempSync(join(tmpdir(), 'maskpack-layout-'));
  try {
    const summary = await exportBatches(store, out, { workers: 1, ...options });
    return { files: loadWithNumpy(summary.epochs[0].dir), width: summary.epochs[0].width, tokens: summary.tokens };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const ARRAYS = ['inputIds', 'attentionMask', 'labels', 'tokenTypeIds'] as const;
const FILE = { inputIds: 'input_ids', attentionMask: 'attention_mask', labels: 'labels', tokenTypeIds: 'token_type_ids' } as const;

for (const format of ['doc-sentences', 'sentence-pair'] as const) {
  test(`${format}, width 'epoch': rows padded to the epoch's widest batch, equal to the loader's rows padded to seqLen`, async () => {
    const base = { format, seqLen: SEQ, batchSize: 6, seed: 8 };
    const { files, width } = await exported({ ...base, width: 'epoch' });
    const full = await batchesOf({ ...base, pad: 'max' });
    const rows = full.reduce((n, b) => n + b.shape[0], 0);
    let longest = 0;
    for (const b of full) for (let r = 0; r < b.shape[0]; r++) longest = Math.max(longest, b.attentionMask.subarray(r * SEQ, (r + 1) * SEQ).reduce((a, m) => a + m, 0));
    assert.equal(width, Math.ceil(longest / 8) * 8, 'the longest row rounded up to padToMultipleOf');
    assert.ok(width! < SEQ / 2, `width ${width}`);
    for (const key of ARRAYS) {
      if (key === 'tokenTypeIds' && format !== 'sentence-pair') continue;
      const trimmed: number[] = full.flatMap((b: Batch) => Array.from({ length: b.shape[0] }, (_, r) => Array.from(b[key]!.subarray(r * SEQ, r * SEQ + width!)))).flat();
      assert.deepEqual(files[FILE[key]], { dtype: 'int32', shape: [rows, width], values: trimmed }, key);
    }
  });
}

test('sentence-pair exports each batch as the loader pads it by default (flat arrays and batch_shapes)', async () => {
  const base = { format: 'sentence-pair' as const, seqLen: SEQ, batchSize: 4, seed: 2 };
  const { files, width, tokens } = await exported(base);
  const batches = await batchesOf(base);
  const positions = batches.reduce((n, b) => n + b.shape[0] * b.shape[1], 0);
  assert.equal(width, null);
  assert.equal(tokens, positions);
  for (const key of ARRAYS) assert.deepEqual(files[FILE[key]], { dtype: 'int32', shape: [positions], values: concat(batches.map((b) => b[key]!)) }, key);
  assert.deepEqual(files.batch_shapes, { dtype: 'int32', shape: [batches.length, 2], values: batches.flatMap((b) => [...b.shape]) });
  const rows = batches.reduce((n, b) => n + b.shape[0], 0);
  assert.ok(positions < (rows * SEQ) / 4, `${positions} positions, not ${rows} × ${SEQ}`);
  const seqLen = await exported({ ...base, width: 'seq-len' });
  assert.deepEqual(seqLen.files.input_ids.shape, [rows, SEQ], "width 'seq-len' is the old layout");
  assert.equal(seqLen.files.batch_shapes, undefined);
});

test("dtype 'int64' writes every array as int64 with the same values (labels -100 included)", async () => {
  const base = { format: 'segment-pair' as const, seqLen: 64, batchSize: 5, seed: 6 };
  const narrow = await exported(base);
  const wide = await exported({ ...base, dtype: 'int64' });
  assert.deepEqual(Object.keys(wide.files).sort(), Object.keys(narrow.files).sort());
  for (const [name, a] of Object.entries(narrow.files)) assert.deepEqual(wide.files[name], { ...a, dtype: 'int64' }, name);
  assert.ok(wide.files.labels.values.includes(-100));
  await assert.rejects(exportBatches(store, join(tmpdir(), 'never'), { dtype: 'int16' as never }), { name: 'RangeError', message: /^options\.dtype must be one of int32, int64, got "int16"$/ });
  await assert.rejects(exportBatches(store, join(tmpdir(), 'never'), { width: 'seq-len', pad: 'longest' }), { name: 'RangeError', message: /^options\.pad does not apply with options\.width 'seq-len'/ });
});

test('static masking through the export: with dupeFactor 2, epoch 2 holds the rows of epoch 0, in another order', async () => {
  const out = mkdtempSync(join(tmpdir(), 'maskpack-layout-'));
  try {
    const summary = await exportBatches(store, out, { format: 'segment-pair', seqLen: 64, batchSize: 5, seed: 1, dupeFactor: 2, epochs: 3, workers: 1 });
    assert.equal(summary.epochs[2].width, summary.epochs[0].width);
    const rowsOf = (e: number): string[] => {
      const f = loadWithNumpy(summary.epochs[e].dir);
      const [n, w] = f.input_ids.shape;
      return Array.from({ length: n }, (_, r) => JSON.stringify([
        ...['input_ids', 'attention_mask', 'labels', 'token_type_ids'].map((k) => f[k].values.slice(r * w, (r + 1) * w)), f.next_sentence_label.values[r],
      ]));
    };
    const [e0, e2] = [rowsOf(0), rowsOf(2)];
    assert.deepEqual([...e2].sort(), [...e0].sort());
    assert.notDeepEqual(e2, e0);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

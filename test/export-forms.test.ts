// `export --layout packed` / `--labels sparse` (and `--max-predictions`): numpy reads files that
// hold the loader's batches, and the sparse files name exactly the non-ignored labels of the dense
// export with the same options (positions into the epoch's raveled input_ids.npy).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLoader, createMemoryStore, exportBatches, robertaSpecials, type ExportOptions, type PackedBatch } from 'maskpack';
import { syntheticDocuments } from './helpers.js';
import { concat, type NpyContent } from './helpers/numpy.js';
import { loadFolder } from './helpers/stream.js';

const store = createMemoryStore({ documents: syntheticDocuments(40, 23), vocabSize: 50265, specials: robertaSpecials });

async function exported(options: ExportOptions): Promise<{ files: Record<string, NpyContent>; record: { options: Record<string, unknown>; width: unknown } }> {
  const out = mkdtempSync(join(tmpdir(), 'maskpack-export-forms-'));
  try {
    await exportBatches(store, out, options);
    return { files: loadFolder(join(out, 'epoch-1')), record: JSON.parse(readFileSync(join(out, 'options.json'), 'utf8')) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const int32 = (shape: number[], values: number[]): NpyContent => ({ dtype: 'int32', shape, values });

test('export --layout packed: the loader\'s packed batches back to back, cu_seqlens over the epoch, and the padded export without its padding', async () => {
  const base = { format: 'segment-pair', seqLen: 64, batchSize: 6, seed: 3, epoch: 1, workers: 1 } as const;
  const { files, record } = await exported({ ...base, layout: 'packed' });
  const batches: PackedBatch[] = [];
  for await (const b of createLoader(store, { ...base, workers: 0, epochs: 1, layout: 'packed' })) batches.push(b);
  const T = batches.reduce((n, b) => n + b.shape[0], 0);
  const rows = batches.reduce((n, b) => n + b.sampleIds.length, 0);
  const cu = [0];
  for (const b of batches) for (let r = 1; r < b.cuSeqlens.length; r++) cu.push(cu[cu.length - 1] + b.cuSeqlens[r] - b.cuSeqlens[r - 1]);
  assert.deepEqual(files, {
    input_ids: int32([T], concat(batches.map((b) => b.inputIds))),
    labels: int32([T], concat(batches.map((b) => b.labels))),
    position_ids: int32([T], concat(batches.map((b) => b.positionIds))),
    token_type_ids: int32([T], concat(batches.map((b) => b.tokenTypeIds!))),
    next_sentence_label: int32([rows], concat(batches.map((b) => b.nextSentenceLabel!))),
    cu_seqlens: int32([rows + 1], cu),
    batch_offsets: int32([batches.length], batches.map((_, i) => batches.slice(0, i).reduce((n, b) => n + b.sampleIds.length, 0))),
  });
  assert.equal(record.width, null);
  assert.equal(record.options.layout, 'packed');
  assert.equal(record.options.labels, 'dense');
  // The padded export (rows of the epoch's widest batch) without its padding is the packed one.
  const padded = (await exported(base)).files;
  const W = padded.input_ids.shape[1];
  const unpadded = (name: string) => cu.slice(0, -1).flatMap((start, r) => padded[name].values.slice(r * W, r * W + cu[r + 1] - start));
  const all: Record<string, NpyContent> = files;
  for (const name of ['input_ids', 'labels', 'token_type_ids']) assert.deepEqual(all[name].values, unpadded(name), name);
});

/** The sparse files a dense export implies: positions of its labels other than -100 in the raveled files, and per-row counts. */
function sparseOf(labels: number[], rowStart: number[]): { positions: number[]; ids: number[]; start: number[] } {
  const positions: number[] = [];
  const ids: number[] = [];
  const start = [0];
  for (let r = 0; r + 1 < rowStart.length; r++) {
    for (let p = rowStart[r]; p < rowStart[r + 1]; p++) {
      if (labels[p] === -100) continue;
      positions.push(p);
      ids.push(labels[p]);
    }
    start.push(positions.length);
  }
  return { positions, ids, start };
}

for (const layout of ['padded', 'packed'] as const) {
  test(`export --labels sparse (${layout}): masked_positions index the epoch's raveled input_ids, masked_row_start its rows; the [rows, N] form`, async () => {
    // Token budgets: batches of several widths, so the padded export widens rows (and re-bases positions).
    const base: ExportOptions = { format: 'full-sentences', seqLen: 64, batchBy: 'tokens', tokenBudget: 300, seed: 5, epoch: 1, workers: 0, maskProb: 0.3, layout };
    const dense = (await exported(base)).files;
    const { files, record } = await exported({ ...base, labels: 'sparse', dtype: 'int64' });
    const rows = dense.batch_offsets && (layout === 'packed' ? dense.cu_seqlens.shape[0] - 1 : dense.input_ids.shape[0]);
    const W = layout === 'padded' ? dense.input_ids.shape[1] : 0;
    const rowStart = layout === 'packed' ? dense.cu_seqlens.values : Array.from({ length: rows + 1 }, (_, r) => r * W);
    const want = sparseOf(dense.labels.values, rowStart);
    assert.ok(want.positions.length > 50);
    assert.equal(files.labels, undefined, 'no dense labels');
    const int64 = (shape: number[], values: number[]): NpyContent => ({ dtype: 'int64', shape, values });
    assert.deepEqual(files.masked_positions, int64([want.positions.length], want.positions));
    assert.deepEqual(files.masked_ids, int64([want.ids.length], want.ids));
    assert.deepEqual(files.masked_row_start, int64([rows + 1], want.start));
    assert.deepEqual(files.input_ids.values, dense.input_ids.values, 'the same inputs');
    assert.equal(record.options.labels, 'sparse');

    const N = Math.max(...want.start.slice(1).map((s, r) => s - want.start[r])) + 2;
    const fixed = (await exported({ ...base, labels: 'sparse', maxPredictions: N })).files;
    const positions = new Array(rows * N).fill(0);
    const ids = new Array(rows * N).fill(-100);
    const weights = new Array(rows * N).fill(0);
    for (let r = 0; r < rows; r++) {
      for (let k = want.start[r]; k < want.start[r + 1]; k++) {
        const at = r * N + k - want.start[r];
        positions[at] = want.positions[k] - rowStart[r];
        ids[at] = want.ids[k];
        weights[at] = 1;
      }
    }
    assert.deepEqual(fixed.masked_positions, int32([rows, N], positions), 'row-local positions, padding 0');
    assert.deepEqual(fixed.masked_ids, int32([rows, N], ids), 'padding slots hold the ignore index');
    assert.deepEqual(fixed.masked_weights, { dtype: 'float32', shape: [rows, N], values: weights });
    assert.deepEqual(fixed.masked_row_start, int32([rows + 1], want.start));
  });
}

test('export refuses --width with the packed layout, naming both options', async () => {
  await assert.rejects(exportBatches(store, join(tmpdir(), 'never-forms'), { layout: 'packed', width: 'epoch' }), { name: 'RangeError', message: /^options\.width does not apply with options\.layout packed/ });
});

// `.npy` export: numpy reads back exactly the loader's batches, per epoch, with batch offsets.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLoader, createMemoryStore, exportBatches, robertaSpecials, type Batch } from 'maskpack';
import { syntheticDocuments } from './helpers.js';
import { concat, loadWithNumpy } from './helpers/numpy.js';

const store = createMemoryStore({ documents: syntheticDocuments(40, 21), vocabSize: 50265, specials: robertaSpecials });

for (const format of ['full-sentences', 'segment-pair'] as const) {
  test(`${format}: numpy loads what the loader produced, for each of two epochs`, async () => {
    const out = mkdtempSync(join(tmpdir(), 'maskpack-export-'));
    try {
      const options = { format, seqLen: 64, batchSize: 6, seed: 3, workers: 1, epochs: 2 };
      const summary = await exportBatches(store, out, options);
      assert.deepEqual(summary.epochs.map((e) => e.epoch), [0, 1]);
      assert.ok(existsSync(join(out, 'options.json')));
      for (const e of summary.epochs) {
        const batches: Batch[] = [];
        for await (const b of createLoader(store, { ...options, pad: 'max', epoch: e.epoch, epochs: 1 })) batches.push(b);
        const rows = batches.reduce((n, b) => n + b.shape[0], 0);
        const offsets = Int32Array.from(batches.map((_, i) => batches.slice(0, i).reduce((n, b) => n + b.shape[0], 0)));
        const grid = (arrays: Int32Array[], shape: number[]) => ({ dtype: 'int32', shape, values: concat(arrays) });
        const want: Record<string, unknown> = {
          input_ids: grid(batches.map((b) => b.inputIds), [rows, 64]),
          attention_mask: grid(batches.map((b) => b.attentionMask), [rows, 64]),
          labels: grid(batches.map((b) => b.labels), [rows, 64]),
          batch_offsets: grid([offsets], [batches.length]),
        };
        if (format === 'segment-pair') {
          want.token_type_ids = grid(batches.map((b) => b.tokenTypeIds!), [rows, 64]);
          want.next_sentence_label = grid(batches.map((b) => b.nextSentenceLabel!), [rows]);
        }
        const got = loadWithNumpy(e.dir);
        assert.deepEqual(got, want);
        assert.ok(readdirSync(e.dir).every((f) => f.endsWith('.npy')), 'no temporaries left');
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

test('options.json, the completeness marker, is written last; a rerun removes the old one first', async () => {
  const out = mkdtempSync(join(tmpdir(), 'maskpack-export-'));
  try {
    const summary = await exportBatches(store, out, { seqLen: 64, batchSize: 4, workers: 0 });
    assert.ok(summary.epochs[0].tokens > 0 && summary.epochs[0].tokens < summary.tokens, 'real tokens exclude padding');
    assert.ok(existsSync(join(out, 'options.json')));
    await assert.rejects(exportBatches(store, out, { seqLen: 64, batchSize: 4, workers: 1, epochs: 2, testFault: { batchIndex: 2, kind: 'throw' } }));
    assert.ok(!existsSync(join(out, 'options.json')), 'the earlier marker does not bless a failed rerun');
    await assert.rejects(exportBatches(store, join(out, 'never'), { seqLen: 3 }), /seqLen/);
    assert.ok(!existsSync(join(out, 'never')), 'bad options are refused before anything is written');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a failed export leaves no file that looks complete', async () => {
  const out = mkdtempSync(join(tmpdir(), 'maskpack-export-'));
  try {
    await assert.rejects(exportBatches(store, out, { seqLen: 64, batchSize: 4, workers: 1, testFault: { batchIndex: 3, kind: 'throw' } }), /batch 3 of epoch 0/);
    assert.deepEqual(readdirSync(join(out, 'epoch-0')), []);
    assert.ok(!existsSync(join(out, 'options.json')), 'no completeness marker');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

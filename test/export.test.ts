// `.npy` export: numpy reads back exactly the loader's batches, per epoch, with batch offsets.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLoader, createMemoryStore, createSampler, exportBatches, MaskpackError, RANDOM_VERSION, robertaSpecials, type Batch, type PaddedDenseLoaderOptions } from 'maskpack';
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
    assert.ok(!existsSync(join(out, 'epoch-0')), 'the failed epoch leaves no folder');
    assert.ok(!existsSync(join(out, 'options.json')), 'no completeness marker');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/** The pid of a process that has exited (its temporaries are stale). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('options.json records the resolved options that decide the bytes, the store and the versions, and reproduces the export', async () => {
  const out = mkdtempSync(join(tmpdir(), 'maskpack-export-'));
  try {
    const options = { format: 'segment-pair' as const, seqLen: 48, batchSize: 5, seed: 7, epoch: 2, epochs: 2, maskProb: 0.2, dupeFactor: 3 };
    await exportBatches(store, out, { ...options, workers: 2, prefetch: 3 });
    const record = JSON.parse(readFileSync(join(out, 'options.json'), 'utf8')) as { options: PaddedDenseLoaderOptions };
    const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
    assert.deepEqual(record, {
      format: 'maskpack-export', formatVersion: 4, maskpackVersion: version, randomVersion: RANDOM_VERSION, dtype: 'int32', width: 'epoch',
      store: { prefix: '', sha256: null, counts: { documents: store.numDocuments, sentences: store.numSentences, tokens: store.numTokens } },
      options: {
        format: 'segment-pair', seqLen: 48, template: 'roberta', seed: 7, epoch: 2, epochs: 2, batchSize: 5, batchBy: 'count',
        pad: 'multiple', padToMultipleOf: 8, dropLast: false, rank: 0, worldSize: 1, maskProb: 0.2, maskReplaceProb: 0.8, randomReplaceProb: 0.1,
        randomIdRange: [0, 50265], ignoreIndex: -100, selection: 'bernoulli', wholeWordMask: false, dupeFactor: 3, layout: 'padded', labels: 'dense',
      },
    });
    const first = readFileSync(join(out, 'options.json'));
    await exportBatches(store, out, { ...options, workers: 0 });
    assert.deepEqual(readFileSync(join(out, 'options.json')), first, 'threads and prefetch are not recorded');
    const reproduced: Batch[] = [];
    for await (const b of createLoader(store, { ...record.options, epochs: 1, workers: 0 })) reproduced.push(b);
    assert.deepEqual(loadWithNumpy(join(out, 'epoch-2')).input_ids.values, concat(reproduced.map((b) => b.inputIds)));
    await exportBatches(store, out, { ...options, batchBy: 'tokens', tokenBudget: 200, countPadding: true, workers: 0 });
    const byTokens = JSON.parse(readFileSync(join(out, 'options.json'), 'utf8')).options;
    assert.deepEqual([byTokens.batchBy, byTokens.tokenBudget, byTokens.countPadding], ['tokens', 200, true]);
    // sentence-pair: the default budget (which depends on the store) and the flat 'batch' layout.
    await exportBatches(store, out, { format: 'sentence-pair', seqLen: 64, batchSize: 6, workers: 0 });
    const pairs = JSON.parse(readFileSync(join(out, 'options.json'), 'utf8'));
    assert.equal(pairs.width, 'batch');
    assert.equal(pairs.options.tokenBudget, createSampler(store, { format: 'sentence-pair', seqLen: 64, batchSize: 6 }).options.tokenBudget);
    const again: Batch[] = [];
    for await (const b of createLoader(store, { ...pairs.options, epochs: 1, workers: 0 })) again.push(b);
    assert.deepEqual(loadWithNumpy(join(out, 'epoch-0')).input_ids.values, concat(again.map((b) => b.inputIds)));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("a re-export removes an earlier export's other epochs and the temporaries of dead runs, and nothing of live ones", async () => {
  const out = mkdtempSync(join(tmpdir(), 'maskpack-export-'));
  try {
    await exportBatches(store, out, { seqLen: 64, batchSize: 8, workers: 0, epochs: 3 });
    writeFileSync(join(out, 'epoch-2', 'notes.txt'), 'mine');
    const dead = deadPid();
    const stale = [join(out, 'epoch-0', `labels.npy.tmp-${dead}`), join(out, `options.json.tmp-${dead}`)];
    const live = join(out, 'epoch-0', `labels.npy.tmp-${process.ppid}`);
    for (const f of [...stale, live]) writeFileSync(f, 'partial');
    await exportBatches(store, out, { seqLen: 64, batchSize: 8, workers: 0, epochs: 1 });
    assert.deepEqual(readdirSync(out).sort(), ['epoch-0', 'epoch-2', 'options.json']);
    assert.deepEqual(readdirSync(join(out, 'epoch-2')), ['notes.txt'], "the old epoch's files are gone, the user's file stays");
    for (const f of stale) assert.ok(!existsSync(f), `${f} removed`);
    assert.ok(existsSync(live), "a live process's temporary is kept");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('an aborted export stops between batches: complete epochs stay, no temporaries, no options.json', async () => {
  const out = mkdtempSync(join(tmpdir(), 'maskpack-export-'));
  try {
    const controller = new AbortController();
    const reason = new Error('stop');
    const done: number[] = [];
    let batches = 0;
    await assert.rejects(exportBatches(store, out, { seqLen: 64, batchSize: 8, workers: 1, epochs: 3 }, {
      onEpoch: (e) => done.push(e.epoch),
      onBatch: (_rows, epoch) => { if (epoch === 1 && ++batches === 2) controller.abort(reason); },
      signal: controller.signal,
    }), (err) => err === reason);
    assert.deepEqual(done, [0]);
    assert.deepEqual(readdirSync(out).sort(), ['epoch-0'], 'epoch 1 left nothing, not even its folder');
    assert.equal(readdirSync(join(out, 'epoch-0')).length, 4, 'epoch 0 complete');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a full disk (/dev/full) is ERR_EXPORT_IO naming the file, and leaves no options.json', async () => {
  // Unprivileged: the export's temporary name (known, it carries our pid) is made a symlink to
  // /dev/full, whose every write fails with ENOSPC, as a full file system's does.
  assert.ok(existsSync('/dev/full'), 'the test needs Linux /dev/full');
  const out = mkdtempSync(join(tmpdir(), 'maskpack-export-'));
  try {
    mkdirSync(join(out, 'epoch-0'));
    symlinkSync('/dev/full', join(out, 'epoch-0', `attention_mask.npy.tmp-${process.pid}`));
    await assert.rejects(exportBatches(store, out, { seqLen: 64, batchSize: 8, workers: 0 }), (err: unknown) => {
      assert.ok(err instanceof MaskpackError);
      assert.equal(err.code, 'ERR_EXPORT_IO');
      assert.match(err.message, /^cannot write .*epoch-0\/attention_mask\.npy: ENOSPC: no space left on device/);
      return true;
    });
    assert.ok(!existsSync(join(out, 'epoch-0')), 'the failed epoch leaves no folder');
    assert.ok(!existsSync(join(out, 'options.json')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

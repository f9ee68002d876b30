// `maskpack export`: numpy loads the loader's batches; failures leave nothing that looks complete.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Batch } from 'maskpack';
import { cli, fixture, libraryBatches } from './cli-fixture.js';
import { concat, loadWithNumpy } from './helpers/numpy.js';

const dir = fixture();
const prefix = path.join(dir, 's');

test('numpy loads exactly the loader batches of each epoch (pair format, 2 workers, 2 epochs)', async () => {
  const r = cli(dir, ['export', 's', '--out', 'out', '--format', 'segment-pair', '--seq-len', '48', '--batch', '5', '--seed', '9', '--epoch', '3', '--epochs', '2', '--workers', '2', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual(summary.epochs.map((e: { epoch: number }) => e.epoch), [3, 4]);
  assert.ok(fs.existsSync(path.join(dir, 'out', 'options.json')));
  for (const e of summary.epochs) {
    const batches: Batch[] = await libraryBatches(prefix, { format: 'segment-pair', seqLen: 48, batchSize: 5, seed: 9, epoch: e.epoch, pad: 'max' });
    const rows = batches.reduce((n, b) => n + b.shape[0], 0);
    let offset = 0;
    const offsets = batches.map((b) => (offset += b.shape[0]) - b.shape[0]);
    const tokens = batches.reduce((n, b) => n + b.attentionMask.reduce((s, m) => s + m, 0), 0);
    assert.deepEqual([e.rows, e.batches, e.tokens], [rows, batches.length, tokens]);
    const got = loadWithNumpy(path.join(dir, 'out', `epoch-${e.epoch}`));
    const grid = (values: number[]): object => ({ dtype: 'int32', shape: [rows, 48], values });
    assert.deepEqual(got, {
      input_ids: grid(concat(batches.map((b) => b.inputIds))),
      attention_mask: grid(concat(batches.map((b) => b.attentionMask))),
      labels: grid(concat(batches.map((b) => b.labels))),
      token_type_ids: grid(concat(batches.map((b) => b.tokenTypeIds!))),
      next_sentence_label: { dtype: 'int32', shape: [rows], values: concat(batches.map((b) => b.nextSentenceLabel!)) },
      batch_offsets: { dtype: 'int32', shape: [batches.length], values: offsets },
    });
  }
  const record = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'options.json'), 'utf8'));
  const manifest = JSON.parse(fs.readFileSync(`${prefix}.json`, 'utf8'));
  assert.deepEqual(record.store, { prefix: 's', sha256: manifest.sha256, counts: manifest.counts }, "the store's identity");
  assert.deepEqual([record.options.epoch, record.options.epochs, record.options.seed, record.options.format], [3, 2, 9, 'segment-pair']);
  assert.ok(!('workers' in record.options) && !('prefetch' in record.options));
  const again: Batch[] = await libraryBatches(prefix, { ...record.options, epoch: 4 });
  assert.deepEqual(concat(again.map((b) => b.labels)), loadWithNumpy(path.join(dir, 'out', 'epoch-4')).labels.values, 'the record reproduces the export');
  const text = cli(dir, ['export', 's', '--out', 'out2', '--seq-len', '48']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout.trim(), /^out2\/epoch-0: \d+ rows, \d+ batches, \d+ tokens$/);
});

test('bad flags exit 2 naming the flag, before anything is written', () => {
  for (const [args, message] of [
    [['--mask-replace-prob', '0.9', '--random-replace-prob', '0.2'], /--mask-replace-prob \+ --random-replace-prob must be at most 1/],
    [['--batch', '0'], /--batch must be an integer in \[1, /],
    [['--epochs', '0'], /--epochs must be an integer in \[1, 100000\], got 0/],
    [['--pad', 'max', '--width', 'seq-len'], /--pad is not accepted with --width seq-len/],
    [['--width', 'wide'], /--width must be one of seq-len, epoch, batch, got "wide"/],
    [['--dtype', 'int8'], /--dtype must be one of int32, int64, got "int8"/],
    [['--dupe-factor', 'x'], /--dupe-factor must be an integer, got "x"/],
    [['--no-such-flag'], /--no-such-flag/],
  ] as const) {
    const r = cli(dir, ['export', 's', '--out', 'bad', ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.ok(!fs.existsSync(path.join(dir, 'bad')), `${args.join(' ')} wrote nothing`);
  }
  assert.equal(cli(dir, ['export', 's']).status, 2, '--out is required');
});

test('a missing store exits 1 naming it and writes nothing; a failed export leaves no options.json', () => {
  const missing = cli(dir, ['export', 'gone/store', '--out', 'none']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /gone\/store/);
  assert.ok(!fs.existsSync(path.join(dir, 'none')));

  const first = cli(dir, ['export', 's', '--out', 'again', '--seq-len', '32']);
  assert.equal(first.status, 0, first.stderr);
  fs.writeFileSync(path.join(dir, 'again', 'epoch-1'), 'a file where epoch 1 must go');
  const failed = cli(dir, ['export', 's', '--out', 'again', '--seq-len', '32', '--epochs', '2', '--seed', '4']);
  assert.equal(failed.status, 1);
  assert.match(failed.stderr, /epoch-1/);
  assert.ok(!fs.existsSync(path.join(dir, 'again', 'options.json')), 'the earlier options.json does not mark the failed export complete');
  assert.ok(fs.readdirSync(path.join(dir, 'again', 'epoch-0')).every((f) => f.endsWith('.npy')), 'no temporaries');
});

// `--mix W:PREFIX` in place of the store prefix: inspect names each row's source, export writes
// source_ids.npy, records the mixture and reports the realized shares, train runs on it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createLoader, openStore, type Batch } from 'maskpack';
import { cli, fixture } from './cli-fixture.js';
import { concat } from './helpers/numpy.js';

const dir = fixture();
// A second store: the same text again, merged with itself (so it differs from `s` in size).
assert.equal(cli(dir, ['merge', 's', 's', '--out', 'double']).status, 0);
const mix = ['--mix', '3:s', '--mix', '1:double'];

test('export --mix: source_ids.npy, the loader\'s rows, the mixture in options.json and the realized shares', async () => {
  const r = cli(dir, ['export', ...mix, '--out', 'mixed', '--seq-len', '32', '--batch', '8', '--seed', '2', '--workers', '2', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  const s = openStore(path.join(dir, 's'));
  const d = openStore(path.join(dir, 'double'));
  const batches: Batch[] = [];
  for await (const b of createLoader([{ store: s, weight: 3 }, { store: d, weight: 1 }], { seqLen: 32, batchSize: 8, seed: 2, pad: 'max', workers: 0 })) batches.push(b);
  const ids = JSON.parse(execFileSync('python3', ['-c', 'import json,sys,numpy as np; a=np.load(sys.argv[1]); print(json.dumps({"dtype": str(a.dtype), "values": a.tolist()}))', path.join(dir, 'mixed', 'epoch-0', 'source_ids.npy')], { encoding: 'utf8' }));
  assert.deepEqual(ids, { dtype: 'int32', values: concat(batches.map((b) => b.sourceIds!)) });
  const rows = ids.values.length;
  const e = summary.epochs[0];
  assert.equal(e.rows, rows);
  assert.deepEqual(e.sources.map((x: { rows: number }) => x.rows), [0, 1].map((k) => ids.values.filter((v: number) => v === k).length));
  assert.ok(Math.abs(e.sources[0].rowShare - 0.75) <= 1 / rows + 1e-9, `realized row share ${e.sources[0].rowShare}`);
  assert.ok(Math.abs(e.sources[0].tokenShare + e.sources[1].tokenShare - 1) < 1e-9);
  assert.deepEqual(summary.weights, [0.75, 0.25]);
  const options = JSON.parse(fs.readFileSync(path.join(dir, 'mixed', 'options.json'), 'utf8'));
  assert.deepEqual(options.mixture.map((m: { prefix: string; weight: number; weightUsed: number }) => [path.basename(m.prefix), m.weight, m.weightUsed]), [['s', 3, 0.75], ['double', 1, 0.25]]);
  assert.equal(options.mixture[1].sha256.bin, d.manifest.sha256.bin);
  s.close();
  d.close();
  const text = cli(dir, ['export', ...mix, '--out', 'mixed2', '--seq-len', '32']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /source 0 \(s, weight 0\.7500\): \d+ rows \(\d+\.\d%\), \d+ tokens \(\d+\.\d%\)/);
});

test('inspect --mix names the source of every row', () => {
  const r = cli(dir, ['inspect', ...mix, '--seq-len', '32', '--batch', '8', '--rows', '4']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^mixture of 2 stores · epoch 0 · batch 0/);
  assert.match(r.stdout, /row 0 · source 0 \(s\) · sample \d+/);
  const j = JSON.parse(cli(dir, ['inspect', ...mix, '--seq-len', '32', '--batch', '8', '--json']).stdout);
  assert.equal(j.source_ids.length, 8);
  assert.equal(j.source_ids.filter((v: number) => v === 0).length, 6, 'three quarters from s');
});

test('train --mix trains on the mixture and keeps each store\'s last documents out', () => {
  const r = cli(dir, ['train', ...mix, '--steps', '2', '--workers', '0', '--json', '--width', '32', '--layers', '1', '--heads', '2', '--ffn', '64', '--seq-len', '32', '--batch', '4', '--held-out', '2', '--eval-batches', '1']);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.heldOut.documents, 4);
  assert.equal(s.trainDocuments, 22 + 46);
  assert.deepEqual(s.mix.map((m: { weight: number }) => m.weight), [3, 1]);
});

test('--mix usage errors name the flag and the value', () => {
  for (const [args, message] of [
    [['--mix', 's'], /--mix must be W:PREFIX with a weight W >= 0 and a store prefix, got "s"/],
    [['--mix=-1:s'], /--mix must be W:PREFIX/],
    [['--mix', 'x:s'], /--mix must be W:PREFIX/],
    [['s', '--mix', '1:s'], /give either a store prefix or --mix, not both/],
    [['--mix', '1:s', '--mix', '1:nope'], /nope/],
  ] as const) {
    const r = cli(dir, ['inspect', ...args, '--seq-len', '32']);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, message);
  }
});

test('--store-access stream gives the same batch as memory, and a bad value is a usage error', () => {
  const args = ['inspect', 's', '--seq-len', '32', '--batch', '6', '--json', '--workers', '1'];
  const memory = cli(dir, [...args, '--store-access', 'memory']);
  const stream = cli(dir, [...args, '--store-access', 'stream']);
  assert.equal(stream.status, 0, stream.stderr);
  assert.equal(stream.stdout, memory.stdout);
  const bad = cli(dir, [...args, '--store-access', 'disk']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--store-access must be one of auto, memory, stream, got "disk"/);
});

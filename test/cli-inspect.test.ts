// `maskpack inspect`: the printed batch is the library's batch, every selected position visible.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, fixture, libraryBatches } from './cli-fixture.js';
import { tinyTokenizerJson } from './helpers/tokenizer-json.js';

const dir = fixture();
const prefix = path.join(dir, 's');
const MASK = 50264;
const BRACKET = /\[([^[\]→]*)→([^[\]]*)\]/g;

function selected(labels: Int32Array): number {
  return labels.reduce((n, l) => n + (l !== -100 ? 1 : 0), 0);
}

test('without a terminal, each selected position is one [orig→new] bracket, as in the loader batch', async () => {
  const flags = ['--seq-len', '64', '--batch', '4', '--seed', '5', '--epoch', '2', '--mask-prob', '0.3'];
  const r = cli(dir, ['inspect', 's', ...flags, '--batch-index', '1']);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour when not a terminal');
  const [batch] = await libraryBatches(prefix, { seqLen: 64, batchSize: 4, seed: 5, epoch: 2, maskProb: 0.3 }, 1, 1);
  const brackets = [...r.stdout.matchAll(BRACKET)];
  assert.ok(brackets.length > 0);
  assert.equal(brackets.length, selected(batch.labels));
  let masked = 0;
  let kept = 0;
  for (let i = 0; i < batch.labels.length; i++) {
    if (batch.labels[i] === -100) continue;
    if (batch.inputIds[i] === MASK) masked++;
    else if (batch.inputIds[i] === batch.labels[i]) kept++;
  }
  assert.equal(brackets.filter((m) => m[2] === '<mask>').length, masked);
  assert.equal(brackets.filter((m) => m[1] === m[2]).length, kept);
  const headers = [...r.stdout.matchAll(/^row (\d+) · sample (\d+) · (\d+) tokens · (\d+) selected$/gm)];
  assert.deepEqual(headers.map((h) => Number(h[2])), [...batch.sampleIds]);
  const L = batch.shape[1];
  headers.forEach((h, row) => {
    assert.equal(Number(h[3]), batch.attentionMask.subarray(row * L, (row + 1) * L).reduce((a, b) => a + b, 0));
    assert.equal(Number(h[4]), selected(batch.labels.subarray(row * L, (row + 1) * L)));
  });
});

test('pair formats show next_sentence_label and segments A and B', async () => {
  const r = cli(dir, ['inspect', 's', '--format', 'segment-pair', '--seq-len', '64', '--batch', '6', '--seed', '1', '--rows', '5']);
  assert.equal(r.status, 0, r.stderr);
  const [batch] = await libraryBatches(prefix, { format: 'segment-pair', seqLen: 64, batchSize: 6, seed: 1 }, 0, 1);
  const nsp = [...r.stdout.matchAll(/next_sentence_label (\d)/g)].map((m) => Number(m[1]));
  assert.deepEqual(nsp, [...batch.nextSentenceLabel!.subarray(0, 5)]);
  assert.equal(r.stdout.match(/^ {2}A │ <s>/gm)?.length, 5);
  assert.equal(r.stdout.match(/^ {2}B │ .*<\/s>$/gm)?.length, 5);
  const L = batch.shape[1];
  assert.equal([...r.stdout.matchAll(BRACKET)].length, selected(batch.labels.subarray(0, 5 * L)));
});

test('--json prints the raw batch; --color always colours instead of brackets', async () => {
  const r = cli(dir, ['inspect', 's', '--seq-len', '32', '--batch', '3', '--json', '--workers', '2']);
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  const [batch] = await libraryBatches(prefix, { seqLen: 32, batchSize: 3 }, 0, 1);
  assert.deepEqual(got.shape, [...batch.shape]);
  assert.deepEqual(got.input_ids.flat(), [...batch.inputIds]);
  assert.deepEqual(got.labels.flat(), [...batch.labels]);
  assert.deepEqual(got.sample_ids, [...batch.sampleIds]);
  const c = cli(dir, ['inspect', 's', '--seq-len', '32', '--batch', '3', '--color', 'always']);
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stdout, /\x1b\[1;97;41m[^\x1b]*\x1b\[2m→\x1b\[0m\x1b\[1;97;41m<mask>/);
  assert.equal([...c.stdout.matchAll(BRACKET)].length, 0);
});

test('bad flags exit 2 naming the flag; a missing store exits 1 naming it', () => {
  for (const [flag, value, message] of [
    ['--mask-prob', '1.5', /--mask-prob must be in \[0, 1\], got 1\.5/],
    ['--seq-len', 'ten', /--seq-len must be an integer, got "ten"/],
    ['--format', 'bogus', /--format must be one of full-sentences, .*got "bogus"/],
    ['--batch-index', '-1', /--batch-index/],
    ['--workers', '1.5', /--workers must be an integer, got "1\.5"/],
  ] as const) {
    const r = cli(dir, ['inspect', 's', flag, value]);
    assert.equal(r.status, 2, `${flag} ${value}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const unknown = cli(dir, ['inspect', 's', '--frobnicate']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /--frobnicate/);
  const missing = cli(dir, ['inspect', 'no/such/store']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no\/such\/store/);
});

test('--help documents every loader flag with its default', () => {
  const flags = ['format', 'seq-len', 'template', 'batch', 'batch-by', 'token-budget', 'count-padding', 'pad', 'pad-to-multiple-of', 'drop-last',
    'seed', 'epoch', 'rank', 'world-size', 'mask-prob', 'mask-replace-prob', 'random-replace-prob', 'selection', 'whole-word-mask', 'dupe-factor', 'workers', 'prefetch'];
  const r = cli(dir, ['inspect', '--help']);
  assert.equal(r.status, 0);
  for (const flag of [...flags, 'batch-index', 'rows', 'json', 'color']) {
    assert.match(r.stdout, new RegExp(`^ {6}--${flag} `, 'm'), `--${flag}`);
  }
  for (const flag of flags) assert.match(r.stdout, new RegExp(`^ {6}--${flag}(?: <\\w+>)? .*\\(default: .+\\)$`, 'm'), `--${flag} has a default`);
  assert.match(r.stdout, /--workers <N> .*\(default: 0\)$/m);
  const e = cli(dir, ['export', '--help']);
  assert.match(e.stdout, /--workers <N> .*\(default: the number of cores, \d+ here\)$/m);
  assert.match(e.stdout, /^ {6}--pad <P> /m, 'export takes --pad (for --width epoch and batch)');
  for (const flag of ['width', 'dtype']) assert.match(e.stdout, new RegExp(`^ {6}--${flag} <\\w+> .*\\(default: `, 'm'), `export --${flag} has a default`);
});

test('a store ingested with a tokenizer.json needs that file, and only that file, to be decoded', () => {
  fs.writeFileSync(path.join(dir, 'tok.json'), JSON.stringify(tinyTokenizerJson()));
  fs.writeFileSync(path.join(dir, 'hf.txt'), 'the cat sat.\nthe cat ran.\n\nthe end. the cat.\n');
  const ingest = cli(dir, ['ingest', 'hf.txt', '--input-format', 'lines', '--out', 'hf', '--tokenizer', 'tok.json', '--workers', '1']);
  assert.equal(ingest.status, 0, ingest.stderr);
  const args = ['inspect', 'hf', '--seq-len', '16', '--batch', '2', '--mask-prob', '0.5'];
  const without = cli(dir, args);
  assert.equal(without.status, 2);
  assert.match(without.stderr, /tok\.json.*--tokenizer/);
  const r = cli(dir, [...args, '--tokenizer', 'tok.json']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ {2}<s>.*cat.*<\/s>$/m);
  assert.ok([...r.stdout.matchAll(BRACKET)].length > 0);
  const wrong = cli(dir, ['inspect', 's', '--tokenizer', 'tok.json']);
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /--tokenizer tok\.json is not the tokenizer of s/);
});

// Usage errors across the CLI: strict numbers, bounded resource flags, repeated flags, flag names
// in library errors, hints, --version and help; and what is not a usage error (exit 1).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createStoreWriter } from 'maskpack';
import { cli, cliHere, fixture } from './cli-fixture.js';

const dir = fixture();
const MAX_WORKERS = 4 * os.availableParallelism();

/** Runs every `[args, message]` in this process and checks exit 2 with `message` on stderr. */
async function usageTable(rows: readonly (readonly [readonly string[], RegExp])[]): Promise<void> {
  for (const [args, message] of rows) {
    const r = await cliHere(dir, [...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
}

test('numeric flags of ingest and train are parsed strictly and bounded, the error naming the flag and the value', async () => {
  const ingest = ['ingest', 'corpus.txt', '--out', 'never', '--input-format', 'lines'];
  const train = ['train', 's'];
  await usageTable([
    [[...ingest, '--workers', '0x10'], /--workers must be an integer, got "0x10"/],
    [[...ingest, '--workers', ' 2'], /--workers must be an integer, got " 2"/],
    [[...ingest, '--workers', '1e3'], /--workers must be an integer, got "1e3"/],
    [[...ingest, '--workers', '1000'], new RegExp(`--workers must be an integer in \\[1, ${MAX_WORKERS}\\], got 1000`)],
    [[...ingest, '--max-sentence-chars', '10'], /--max-sentence-chars must be an integer in \[16, 16777216\], got 10/],
    [[...ingest, '--max-sentence-chars', '2.5e4'], /--max-sentence-chars must be an integer, got "2\.5e4"/],
    [[...train, '--steps', '0x10'], /--steps must be an integer, got "0x10"/],
    [[...train, '--steps', '2000000'], /--steps must be an integer in \[1, 1000000\], got 2000000/],
    [[...train, '--layers', ' 2'], /--layers must be an integer, got " 2"/],
    [[...train, '--layers', '100000'], /--layers must be an integer in \[0, 64\], got 100000/],
    [[...train, '--width', '1e3'], /--width must be an integer, got "1e3"/],
    [[...train, '--hidden', '8192'], /--width must be an integer in \[1, 4096\], got 8192/],
    [[...train, '--heads', '2.0'], /--heads must be an integer, got "2\.0"/],
    [[...train, '--heads', '3'], /--heads must divide --width \(128\), got 3/],
    [[...train, '--ffn', '100000000'], /--ffn must be an integer in \[1, 16384\], got 100000000/],
    [[...train, '--accumulation', '99999999999999999999'], /--accumulation must be an integer, got "99999999999999999999"/],
    [[...train, '--accumulation', '2000'], /--accumulation must be an integer in \[1, 1024\], got 2000/],
    [[...train, '--eval-batches', '5000'], /--eval-batches must be an integer in \[1, 1024\], got 5000/],
    [[...train, '--held-out', '100'], /--held-out must be an integer in \[1, 23\], got 100/],
    [[...train, '--threads', '100000'], new RegExp(`--threads must be an integer in \\[1, ${MAX_WORKERS}\\], got 100000`)],
    [[...train, '--lr', '0x1'], /--lr must be a number, got "0x1"/],
    [[...train, '--lr', '1e3'], /--lr must be in \(0, 10\], got 1000/],
    [[...train, '--width', '4096', '--heads', '16', '--ffn', '16384', '--layers', '16'],
      /the model \(--width, --layers, --ffn, --seq-len\) must have at most 268,435,456 parameters .*got 3,445,335,129/],
    [['inspect', 's', '--workers', '1000'], new RegExp(`--workers must be an integer in \\[0, ${MAX_WORKERS}\\], got 1000`)],
  ]);
  assert.ok(!fs.existsSync(path.join(dir, 'never.json')));
});

test('a flag given twice is refused by every command', async () => {
  await usageTable([
    [['ingest', 'corpus.txt', '--out', 'a', '-o', 'b'], /--out was given more than once/],
    [['merge', 's', '--out', 'a', '--out', 'b'], /--out was given more than once/],
    [['stats', 's', '--json', '--json'], /--json was given more than once/],
    [['inspect', 's', '--seed', '1', '--seed', '2'], /--seed was given more than once/],
    [['export', 's', '--out', 'x', '--epochs', '1', '--epochs', '2'], /--epochs was given more than once/],
    [['train', 's', '--steps', '1', '--steps', '2'], /--steps was given more than once/],
  ]);
});

test('library option errors name the flag the user typed; inspect checks --prefetch as export does', async () => {
  await usageTable([
    [['inspect', 's', '--prefetch', '0'], /^maskpack inspect: --prefetch must be an integer in \[1, 4096\], got 0$/m],
    [['export', 's', '--out', 'x', '--prefetch', '0'], /^maskpack export: --prefetch must be an integer in \[1, 4096\], got 0$/m],
    [['inspect', 's', '--batch', '2', '--world-size', '4'], /--batch must be >= --world-size \(4\), got 2/],
    [['inspect', 's', '--whole-word-mask', '--rank', '9', '--world-size', '2'], /--rank must be an integer in \[0, 1\], got 9/],
    [['inspect', 's', '--span-p', '0.3'], /^maskpack inspect: --span-p needs --span-mask$/m],
    [['export', 's', '--out', 'x', '--span-mask', '--span-max-length', '300'], /--span-max-length must be an integer in \[1, 256\], got 300/],
    [['inspect', 's', '--span-mask', '--span-p', '0'], /--span-p must be in \(0, 1\], got 0/],
    [['inspect', 's', '--span-mask', '--span-p', 'x'], /--span-p/],
  ]);
});

test('--version, help <command>, and hints for a store file given as a prefix', async () => {
  const version = cli(dir, ['--version']); // the executable itself
  assert.equal(version.status, 0);
  assert.equal(version.stdout, `${JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version}\n`);
  const help = await cliHere(dir, ['help', 'export']);
  assert.equal(help.status, 0);
  assert.equal(help.stdout, (await cliHere(dir, ['export', '--help'])).stdout);
  const bogus = await cliHere(dir, ['help', 'bogus']);
  assert.equal(bogus.status, 2);
  assert.match(bogus.stderr, /unknown command "bogus"/);
  await usageTable([
    [['stats', 's.bin'], /"s\.bin" is a store file, not a store prefix: give the path without \.bin \("s"\)/],
    [['inspect', 's.idx'], /"s\.idx" is a store file, not a store prefix: give the path without \.idx \("s"\)/],
    [['export', 's.json', '--out', 'x'], /"s\.json" is a store file/],
    [['merge', 's', 's.bin', '--out', 'm'], /"s\.bin" is a store file/],
    [['train', 's.bin'], /"s\.bin" is a store file/],
    [['ingest', 'corpus.txt', '--out', 'new.bin'], /--out "new\.bin" ends in \.bin: give the prefix without it/],
    [['merge', 's', '--out', 'm.json'], /--out "m\.json" ends in \.json/],
  ]);
});

test('an empty store gets a clear message from inspect and export; counts are in the singular when they are 1', async () => {
  fs.writeFileSync(path.join(dir, 'blank.txt'), '  \n');
  fs.writeFileSync(path.join(dir, 'one.txt'), 'Hello there. General Kenobi!');
  const empty = await cliHere(dir, ['ingest', 'blank.txt', '--out', 'empty', '--workers', '1']);
  assert.equal(empty.status, 0, empty.stderr);
  assert.match(empty.stdout, /^empty: 0 documents, 0 sentences, 0 tokens .*\(.*, 1 worker\); 1 empty document skipped$/m);
  for (const args of [['inspect', 'empty'], ['export', 'empty', '--out', 'empty-out']]) {
    const r = await cliHere(dir, args);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /empty: the store is empty \(0 documents, no tokens\); there is (no batch to inspect|nothing to export) \[ERR_BAD_INPUT\]/);
  }
  assert.ok(!fs.existsSync(path.join(dir, 'empty-out')));
  const one = await cliHere(dir, ['ingest', 'one.txt', '--out', 'one', '--workers', '1']);
  assert.match(one.stdout, /^one: 1 document, 2 sentences, \d+ tokens /);
  assert.match((await cliHere(dir, ['stats', 'one'])).stdout, /^one: 1 document, 2 sentences/);
  assert.match((await cliHere(dir, ['merge', 'one', '--out', 'one-again'])).stdout, /^one-again: 1 document, 2 sentences, \d+ tokens from 1 store$/m);
  const exported = await cliHere(dir, ['export', 'one', '--out', 'one-out', '--seq-len', '16', '--batch', '8']);
  assert.match(exported.stdout, /^one-out\/epoch-0: 1 row, 1 batch, \d+ tokens$/m);
});

test('a defect of the store is not a usage error: ERR_STORE_CORRUPT, exit 1, naming the manifest', async () => {
  const w = createStoreWriter(path.join(dir, 'defect'), {
    vocabSize: 100, tokenizer: { name: 'test', source: 'test', vocabSize: 100 },
    specials: { bos: 0, pad: 1, eos: 2, unk: 3, cls: 0, sep: 2, mask: 4, all: Array.from({ length: 70 }, (_, i) => i) },
  });
  w.addDocument([[80, 81, 82], [90, 91]]);
  w.finish();
  for (const args of [['inspect', 'defect', '--json'], ['export', 'defect', '--out', 'defect-out']]) {
    const r = await cliHere(dir, args);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /defect\.json: specialTokens\.all holds 69 ids besides the mask id, more than maskpack supports \(63\) \[ERR_STORE_CORRUPT\]$/m);
    assert.doesNotMatch(r.stderr, /--help/);
  }
});

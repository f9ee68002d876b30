// `maskpack train` end to end through the built CLI on a small store: the summary, the held-out
// evaluation, usage errors and interruption.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLoader, openStore, sliceDocuments } from 'maskpack';
import { bin, cli, fixture } from './cli-fixture.js';

const dir = fixture();
const tiny = ['--width', '32', '--layers', '1', '--heads', '2', '--ffn', '64', '--seq-len', '32', '--batch', '4', '--held-out', '3', '--eval-batches', '2'];

test('train --json runs the steps and evaluates held-out documents before and after', () => {
  const r = cli(dir, ['train', 's', '--steps', '4', '--accumulation', '2', '--workers', '1', '--json', ...tiny]);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.training.steps, 4);
  assert.ok(s.training.tokens > 4 * 2 * 4 * 2, `tokens ${s.training.tokens}`);
  assert.ok(s.training.dataWaitShare >= 0 && s.training.dataWaitShare < 1);
  assert.equal(s.heldOut.documents, 3);
  assert.equal(s.heldOut.batches, 2);
  assert.ok(s.heldOut.maskedTokens > 0);
  for (const k of ['before', 'after']) assert.ok(Number.isFinite(s.heldOut[k].loss) && s.heldOut[k].loss > 0);
  assert.equal(s.trainDocuments, 21);
  assert.ok(s.parameters > 0);
});

test('train prints progress lines and the held-out loss when not on a terminal', () => {
  const r = cli(dir, ['train', 's', '--steps', '2', '--workers', '0', ...tiny]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /step +2 +loss \d+\.\d+ +acc +\d+\.\d%/);
  assert.match(r.stdout, /held-out masked-LM loss \(3 documents, \d+ masked tokens\): \d+\.\d+ -> \d+\.\d+/);
});

test('train goes on past batches with nothing to predict, and reports the skipped steps', () => {
  // One row of 16 tokens at --mask-prob 0.05 often has no masked token (seeded: 6 of 12 here).
  const model = ['--width', '32', '--layers', '1', '--heads', '2', '--ffn', '64', '--held-out', '3', '--eval-batches', '2'];
  const r = cli(dir, ['train', 's', '--steps', '12', '--workers', '0', ...model, '--batch', '1', '--seq-len', '16', '--mask-prob', '0.05', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.training.steps, 12);
  assert.ok(s.training.skippedSteps > 0 && s.training.skippedSteps < 12, `skipped ${s.training.skippedSteps}`);
});

test('train refuses bad flags with exit code 2 naming the flag, and a missing store with 1', () => {
  const bad: [string[], RegExp][] = [
    [['--steps', '0'], /--steps must be an integer in \[1, 1000000\], got 0/],
    [['--lr', 'fast'], /--lr must be a number, got "fast"/],
    [['--mask-prob', '1.5'], /--mask-prob must be in \[0, 1\], got 1.5/],
    [['--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [args, message] of bad) {
    const r = cli(dir, ['train', 's', ...args, ...tiny]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const missing = cli(dir, ['train', 'nope', '--steps', '1', ...tiny]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope/);
});

test('train --seed 4294967295 works: the held-out batches are built as the training ones, with seed + 1 mod 2^32', async () => {
  const r = cli(dir, ['train', 's', '--steps', '1', '--seed', '4294967295', '--format', 'segment-pair', '--mask-prob', '0.3', '--json', ...tiny]);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.deepEqual(s.evaluation, { format: 'segment-pair', seqLen: 32, batchSize: 4, seed: 0, maskProb: 0.3, epoch: 0, rank: 0, worldSize: 1 });
  const store = openStore(path.join(dir, 's'));
  try {
    const heldOut = sliceDocuments(store, store.numDocuments - 3, store.numDocuments);
    let masked = 0;
    let batches = 0;
    for await (const b of createLoader(heldOut, { ...s.evaluation, epochs: Infinity, workers: 0 })) {
      masked += b.labels.reduce((n, l) => n + (l !== -100 ? 1 : 0), 0);
      if (++batches === 2) break;
    }
    assert.equal(s.heldOut.maskedTokens, masked, 'the held-out loss is measured on exactly these batches');
  } finally {
    store.close();
  }
});

test('train --steps 0 without a store is refused before the default corpus is ingested', () => {
  const cache = fileURLToPath(new URL('../../.cache/sotu-roberta-gpt2.json', import.meta.url));
  const before = fs.existsSync(cache) ? fs.statSync(cache).mtimeMs : undefined;
  const r = cli(dir, ['train', '--steps', '0']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--steps must be an integer in \[1, 1000000\], got 0/);
  assert.equal(r.stdout, '', 'nothing started');
  assert.equal(fs.existsSync(cache) ? fs.statSync(cache).mtimeMs : undefined, before, 'the cache is untouched');
});

test('SIGINT during training stops before the next update: exit 130 and a line saying how many steps were done', async () => {
  const child = spawn(process.execPath, [bin, 'train', 's', '--steps', '100000', '--workers', '0', ...tiny], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  const deadline = Date.now() + 30_000;
  try {
    while (!stdout.includes('held-out:') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await done, 130, stderr);
  const m = /^maskpack train: interrupted after (\d+) of 100000 steps/m.exec(stderr);
  assert.ok(m && Number(m[1]) < 100000, stderr);
  assert.match(stdout, new RegExp(`^trained ${m[1]} steps? in `, 'm'));
});

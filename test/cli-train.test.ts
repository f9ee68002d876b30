// `maskpack train` end to end through the built CLI on a small store: the summary, the held-out
// evaluation, and usage errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli, fixture } from './cli-fixture.js';

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
    [['--steps', '0'], /--steps must be a positive integer, got "0"/],
    [['--lr', 'fast'], /--lr must be a positive number, got "fast"/],
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

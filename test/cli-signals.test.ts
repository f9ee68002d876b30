// SIGINT / SIGTERM during export and merge: exit 130, temporaries removed, a line saying what was
// finished; and SIGKILL: the next run to the same place removes what the killed run left.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createStoreWriter } from 'maskpack';
import { bin, cli, fixture } from './cli-fixture.js';

const dir = fixture();

/** A store of 2 M tokens in 1,000 documents: merges and exports of it take long enough to be interrupted. */
function bigStore(): void {
  const w = createStoreWriter(path.join(dir, 'big'), {
    vocabSize: 100, specials: { bos: 0, pad: 1, eos: 2, unk: 3, cls: 0, sep: 2, mask: 4, all: [0, 1, 2, 3, 4] }, tokenizer: { name: 'test', source: 'test', vocabSize: 100 },
  });
  const tokens = Int32Array.from({ length: 2000 }, (_, i) => 5 + (i % 95));
  const lengths = new Int32Array(100).fill(20);
  for (let d = 0; d < 1000; d++) {
    w.appendTokens(tokens, lengths);
    w.endDocument();
  }
  w.finish();
}
bigStore();

interface Started { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> }

function start(args: string[]): Started {
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  return { child, done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr }))) };
}

/** Polls (every 2 ms, for at most 30 s) until `ready()` holds. */
async function until(ready: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Every file below `root`, as paths relative to it. */
function files(root: string): string[] {
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} during export: exit 130, complete epochs named and kept, no temporaries, no options.json`, async () => {
    const out = path.join(dir, `npy-${signal}`);
    const { child, done } = start(['export', 's', '--out', out, '--seq-len', '32', '--batch', '2', '--epochs', '100000', '--workers', '1']);
    try {
      await until(() => fs.existsSync(path.join(out, 'epoch-2')));
    } finally {
      child.kill(signal);
    }
    const { code, stderr } = await done;
    assert.equal(code, 130, stderr);
    const m = /^maskpack export: interrupted; epochs ((?:\d+, )*\d+) are complete \(.*\), epochs (\d+)-99999 are not; no options\.json was written, so .* is not a complete export$/m.exec(stderr);
    assert.ok(m, stderr);
    const complete = m[1].split(', ').map(Number);
    assert.deepEqual(complete, complete.map((_, i) => i), 'the epochs from the first one');
    assert.equal(Number(m[2]), complete.length);
    const expected = complete.flatMap((e) => ['attention_mask', 'batch_offsets', 'input_ids', 'labels'].map((f) => path.join(`epoch-${e}`, `${f}.npy`)));
    assert.deepEqual(files(out), expected.sort(), 'the complete epochs, and nothing else: no temporaries, no options.json');
    assert.deepEqual(fs.readdirSync(out).sort(), complete.map((e) => `epoch-${e}`).sort(), 'no folder of the interrupted epoch');
  });
}

test('SIGTERM during merge: exit 130, nothing at the output prefix', async () => {
  const { child, done } = start(['merge', ...Array(16).fill('big'), '--out', 'merged']);
  try {
    await until(() => fs.readdirSync(dir).some((f) => f.startsWith('merged.') && f.endsWith('.tmp')));
  } finally {
    child.kill('SIGTERM');
  }
  const { code, stderr } = await done;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /^maskpack merge: interrupted; nothing was written to merged$/m);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('merged')), []);
});

/**
 * Runs `args` and kills it with SIGKILL at a moment it has temporaries: stopped (SIGSTOP) so that
 * nothing changes while we look, killed if `hasTemporaries()`, else continued and tried again.
 */
async function killWithTemporaries(args: string[], hasTemporaries: () => boolean): Promise<void> {
  const { child, done } = start(args);
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${args[0]} never had temporaries`);
      await new Promise((r) => setTimeout(r, 5));
      child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 5));
      if (hasTemporaries()) break;
      child.kill('SIGCONT');
    }
  } finally {
    child.kill('SIGKILL');
  }
  assert.equal((await done).signal, 'SIGKILL');
}

test("after SIGKILL, the next export to the folder and the next merge to the prefix remove the killed run's temporaries", async () => {
  const out = path.join(dir, 'killed');
  const exportTemporaries = () => fs.existsSync(out) && files(out).some((f) => f.includes('.npy.tmp-'));
  await killWithTemporaries(['export', 'big', '--out', out, '--seq-len', '256', '--batch', '8', '--epochs', '100000', '--workers', '0'], exportTemporaries);
  const again = cli(dir, ['export', 's', '--out', out, '--seq-len', '32', '--epochs', '2']);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(files(out).filter((f) => f.includes('.tmp')), []);
  assert.deepEqual(fs.readdirSync(out).sort(), ['epoch-0', 'epoch-1', 'options.json']);

  const mergeTemporaries = () => fs.readdirSync(dir).some((f) => f.startsWith('m2.') && f.endsWith('.tmp'));
  await killWithTemporaries(['merge', ...Array(16).fill('big'), '--out', 'm2'], mergeTemporaries);
  const merged = cli(dir, ['merge', 's', '--out', 'm2']);
  assert.equal(merged.status, 0, merged.stderr);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('m2.')).sort(), ['m2.bin', 'm2.idx', 'm2.json']);
});

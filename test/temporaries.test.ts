// Temporaries: a killed run's are removed by the next writer to the same prefix, a live run's never;
// an aborted merge leaves nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createStoreWriter, mergeStores, type StoreWriterOptions } from 'maskpack';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-tmp-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const options: StoreWriterOptions = {
  vocabSize: 100, specials: { bos: 0, pad: 1, eos: 2, unk: 3, cls: 0, sep: 2, mask: 4, all: [0, 1, 2, 3, 4] }, tokenizer: { name: 'test', source: 'test', vocabSize: 100 },
};

function writeStore(prefix: string, documents: number): void {
  const w = createStoreWriter(prefix, options);
  for (let d = 0; d < documents; d++) w.addDocument([[5 + (d % 90), 6, 7], [8, 9]]);
  w.finish();
}

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

test("a store writer removes the temporaries that killed writers left at its prefix, and no one else's", () => {
  const dead = deadPid();
  const stale = ['s.bin', 's.idx', 's.json', 's.idx.lengths', 's.idx.docs'].map((f) => `${f}.${dead}-3.tmp`);
  const kept = [`s.bin.${process.ppid}-0.tmp`, `other.bin.${dead}-0.tmp`, `s.bin.${dead}.tmp`, 'notes.txt'];
  for (const f of [...stale, ...kept]) fs.writeFileSync(path.join(tmp, f), 'x');
  writeStore(path.join(tmp, 's'), 3);
  assert.deepEqual(fs.readdirSync(tmp).sort(), [...kept, 's.bin', 's.idx', 's.json'].sort());
});

test('an aborted merge rejects with the reason and leaves nothing at the output prefix', async () => {
  const dir = path.join(tmp, 'merge');
  const input = path.join(dir, 'in');
  writeStore(input, 200_000);
  const out = path.join(dir, 'out');
  const controller = new AbortController();
  const reason = new Error('stop');
  // Abort once the writer has made its temporaries (the merge yields between chunks).
  const watch = setInterval(() => {
    if (fs.readdirSync(dir).some((f) => f.startsWith('out.') && f.endsWith('.tmp'))) controller.abort(reason);
  }, 1);
  try {
    await assert.rejects(mergeStores(Array(8).fill(input), out, { signal: controller.signal }), (err) => err === reason);
  } finally {
    clearInterval(watch);
  }
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('out')), []);
  const pre = new AbortController();
  pre.abort(reason);
  await assert.rejects(mergeStores([input], out, { signal: pre.signal }), (err) => err === reason);
});

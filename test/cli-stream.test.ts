// `maskpack stream`: the export's bytes batch for batch as NumPy reads them, resume, ranks, the
// end of a stream (done, consumer gone, signals), the socket, and flag errors.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import { bin, cli, fixture } from './cli-fixture.js';
import type { NpyContent } from './helpers/numpy.js';
import { loadFolder, readStream, rowSlice, stream, streamBytes, type StreamedBatch } from './helpers/stream.js';

const dir = fixture();
/** Every test spawns processes: a stream that fails to end fails its test instead of hanging the suite. */
const limit = { timeout: 60_000 };
assert.equal(cli(dir, ['merge', 's', 's', '--out', 'double']).status, 0);

/** Rows of the batches concatenated, array by array (the export's layout of one epoch). */
function rowsOf(batches: StreamedBatch[], name: string): NpyContent {
  const parts = batches.map((b) => b.arrays[name]);
  return { dtype: parts[0].dtype, shape: [parts.reduce((n, p) => n + p.shape[0], 0), ...parts[0].shape.slice(1)], values: parts.flatMap((p) => p.values) };
}

const ROW_ARRAYS = new Set(['next_sentence_label', 'source_ids']);

/**
 * Checks that `streamed` holds exactly the export in `out`, epoch by epoch and batch by batch:
 * `--width batch` (flat arrays, `batch_shapes.npy`) or a (rows, W) layout.
 */
function assertSameAsExport(streamed: StreamedBatch[], out: string, epochs: number[], names: string[]): void {
  for (const epoch of epochs) {
    const folder = loadFolder(path.join(dir, out, `epoch-${epoch}`));
    const batches = streamed.filter((b) => b.header.epoch === epoch);
    const offsets = folder.batch_offsets.values;
    const shapes = folder.batch_shapes?.values;
    assert.equal(batches.length, offsets.length, `epoch ${epoch}: batches`);
    let position = 0;
    batches.forEach((b, k) => {
      assert.equal(b.header.batchIndex, k);
      assert.deepEqual(b.header.arrays, names, 'the documented order');
      const to = offsets[k + 1] ?? folder.next_sentence_label?.shape[0] ?? folder.source_ids?.shape[0] ?? folder.input_ids.shape[0];
      for (const name of names) {
        let want: NpyContent;
        if (ROW_ARRAYS.has(name) || !shapes) {
          want = rowSlice(folder[name], offsets[k], to);
        } else {
          const [rows, width] = [shapes[2 * k], shapes[2 * k + 1]];
          want = { dtype: folder[name].dtype, shape: [rows, width], values: folder[name].values.slice(position, position + rows * width) };
        }
        assert.deepEqual(b.arrays[name], want, `epoch ${epoch} batch ${k} ${name}`);
      }
      if (shapes) position += shapes[2 * k] * shapes[2 * k + 1];
    });
  }
}

test('the streamed bytes are those of export --width batch with the same options, batch for batch (pair format, 2 workers, 2 epochs; a mixture, int64)', limit, () => {
  const options = ['--format', 'sentence-pair', '--seq-len', '48', '--batch', '5', '--seed', '9', '--epoch', '3', '--epochs', '2', '--workers', '2'];
  assert.equal(cli(dir, ['export', 's', '--out', 'exp', '--width', 'batch', ...options]).status, 0);
  const s = stream(dir, ['s', ...options]);
  assert.equal(s.trailing, 0);
  assertSameAsExport(s.batches, 'exp', [3, 4], ['input_ids', 'attention_mask', 'labels', 'token_type_ids', 'next_sentence_label']);
  assert.ok(new Set(s.batches.map((b) => b.arrays.input_ids.shape[1])).size > 1, 'batches of several widths');
  // Each header's state is where the next batch starts; the end record closes the run.
  s.batches.forEach((b, k) => {
    const next = s.batches[k + 1]?.header;
    assert.deepEqual([b.header.state.epoch, b.header.state.batchIndex], next ? [next.epoch, next.batchIndex] : [4, b.header.batchIndex + 1]);
  });
  assert.deepEqual({ ...s.end, state: undefined }, { maskpack: 'stream-v1', end: true, epoch: 4, batchIndex: s.end.state.batchIndex, arrays: [], batches: s.batches.length, state: undefined });

  const mix = ['--mix', '3:s', '--mix', '1:double', '--seq-len', '32', '--batch', '8', '--seed', '2', '--workers', '1', '--dtype', 'int64'];
  assert.equal(cli(dir, ['export', ...mix, '--out', 'mixexp', '--width', 'batch']).status, 0);
  const m = stream(dir, mix);
  assertSameAsExport(m.batches, 'mixexp', [0], ['input_ids', 'attention_mask', 'labels', 'source_ids']);
  assert.ok(m.batches.every((b) => Object.values(b.arrays).every((a) => a.dtype === 'int64')));
  assert.ok(new Set(rowsOf(m.batches, 'source_ids').values).size === 2, 'rows of both stores');
});

test('with --pad max the batches are the rows of export --width seq-len', limit, () => {
  const options = ['--format', 'doc-sentences', '--batch-by', 'count', '--batch', '4', '--seq-len', '64', '--seed', '5', '--workers', '0'];
  assert.equal(cli(dir, ['export', 's', '--out', 'docs', '--width', 'seq-len', ...options]).status, 0);
  const s = stream(dir, ['s', ...options, '--pad', 'max']);
  assert.ok(s.batches.every((b) => b.arrays.input_ids.shape[1] === 64));
  assertSameAsExport(s.batches, 'docs', [0], ['input_ids', 'attention_mask', 'labels']);
});

test('--resume from a state in the middle gives the rest exactly (a state as JSON, a header in a file)', limit, () => {
  const options = ['s', '--seq-len', '32', '--batch', '4', '--seed', '3', '--epochs', '2', '--workers', '0'];
  const full = stream(dir, options);
  const lastOfEpoch0 = full.batches.filter((b) => b.header.epoch === 0).length - 1;
  const middle = Math.floor(full.batches.length * 0.6);
  fs.writeFileSync(path.join(dir, 'header.json'), JSON.stringify(full.batches[lastOfEpoch0].header));
  for (const [k, resume] of [[middle, JSON.stringify(full.batches[middle].header.state)], [lastOfEpoch0, 'header.json']] as const) {
    const rest = stream(dir, [...options, '--resume', resume]);
    assert.deepEqual(rest.batches, full.batches.slice(k + 1), `after batch ${k}`);
    assert.deepEqual(rest.end, { ...full.end, batches: full.batches.length - k - 1 });
  }
});

test('two ranks together give the global batches (odd batch size, the default padding)', limit, () => {
  const options = ['s', '--format', 'segment-pair', '--seq-len', '48', '--batch', '5', '--seed', '4', '--workers', '0'];
  const global = stream(dir, options);
  const ranks = [0, 1].map((rank) => stream(dir, [...options, '--rank', String(rank), '--world-size', '2']));
  for (const r of ranks) assert.equal(r.batches.length, global.batches.length);
  global.batches.forEach((g, k) => {
    const parts = ranks.map((r) => r.batches[k]);
    for (const p of parts) assert.deepEqual(p.header, g.header, 'the same place and state on every rank');
    assert.ok(parts.every((p) => p.arrays.input_ids.shape[0] > 0));
    for (const name of g.header.arrays) assert.deepEqual(rowsOf(parts, name), g.arrays[name], `batch ${k} ${name}`);
  });
});

test('--batches stops after N batches, across epochs', limit, () => {
  const options = ['s', '--seq-len', '64', '--batch', '16', '--workers', '0'];
  const three = stream(dir, [...options, '--epochs', '3']);
  const perEpoch = three.batches.length / 3;
  const n = Math.round(perEpoch * 2) + 1;
  const some = stream(dir, [...options, '--batches', String(n)]);
  assert.deepEqual(some.batches, three.batches.slice(0, n));
  assert.equal(some.end.batches, n);
  assert.deepEqual(some.end.state, three.batches[n - 1].header.state);
});

const spawned: ReturnType<typeof spawn>[] = [];
// A test that failed while its stream still runs must not leave the process behind.
after(() => spawned.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')));

/** Spawns `maskpack stream args...` with piped stdio; resolves its exit status and stderr. */
function spawnStream(args: string[]): { child: ReturnType<typeof spawn>; exit: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [bin, 'stream', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  return { child, exit };
}

test('a consumer that closes the pipe early ends the stream quietly with status 0', limit, async () => {
  const { child, exit } = spawnStream(['s', '--seq-len', '64', '--batch', '16', '--epochs', 'inf', '--workers', '1']);
  child.stdout!.once('data', () => child.stdout!.destroy());
  assert.deepEqual(await exit, { code: 0, stderr: '' });
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} ends a stream whose consumer has stalled with status 130, saying where to resume`, limit, async () => {
    const options = ['--seq-len', '64', '--batch', '16', '--epochs', 'inf', '--workers', '0'];
    const { child, exit } = spawnStream(['s', ...options]);
    child.stdout!.once('data', () => {
      child.stdout!.pause(); // the pipe fills and maskpack waits for the reader
      setTimeout(() => child.kill(signal), 300);
    });
    const { code, stderr } = await exit;
    assert.equal(code, 130);
    const m = /interrupted by (\w+) after (\d+) batch(?:es)?; to continue: --resume '(\{.*\})'/.exec(stderr);
    assert.ok(m, stderr);
    assert.equal(m[1], signal);
    child.stdout!.destroy();
    if (signal === 'SIGTERM') return; // the same path; the resume check once is enough
    // The state printed continues after the last batch written out: the next batch of the run.
    const sent = Number(m[2]);
    const run = stream(dir, ['s', ...options, '--batches', String(sent + 2)]);
    assert.deepEqual(stream(dir, ['s', ...options, '--resume', m[3], '--batches', '2']).batches, run.batches.slice(sent));
  });
}

/** Connects to `socket` as soon as it accepts; resolves everything read until the server ends (rejects if the stream exits first). */
async function readSocket(socket: string, exit: Promise<{ code: number | null; stderr: string }>): Promise<Buffer> {
  let exited: { code: number | null; stderr: string } | undefined;
  void exit.then((e) => (exited = e));
  for (;;) {
    if (exited) throw new Error(`the stream exited with ${exited.code} before a consumer connected: ${exited.stderr}`);
    const got = await new Promise<Buffer | undefined>((resolve) => {
      const chunks: Buffer[] = [];
      const c = net.connect(socket);
      c.on('data', (d) => chunks.push(d));
      c.on('end', () => resolve(Buffer.concat(chunks)));
      c.on('error', () => resolve(undefined));
    });
    if (got) return got;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('--socket serves the same bytes to one consumer, replaces a stale socket file and removes its own', limit, async () => {
  const options = ['s', '--seq-len', '32', '--batch', '8', '--seed', '6', '--workers', '1'];
  const piped = streamBytes(dir, options);
  const socket = path.join(dir, 'live.sock');
  // A socket file nobody listens on, as a killed run leaves it.
  execFileSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', socket]);
  assert.ok(fs.lstatSync(socket).isSocket());
  const { exit } = spawnStream([...options, '--socket', socket]);
  const bytes = await readSocket(socket, exit);
  assert.deepEqual(await exit, { code: 0, stderr: '' });
  assert.ok(bytes.equals(piped.stdout), 'the bytes of the pipe');
  assert.ok(!fs.existsSync(socket), 'the socket file is removed');
  assert.equal(readStream(bytes).end.end, true);
});

test('--socket: a consumer that disconnects ends the stream with 0; SIGTERM before any consumer exits 130; a taken path exits 2', limit, async () => {
  const socket = path.join(dir, 'early.sock');
  const early = spawnStream(['s', '--seq-len', '64', '--batch', '16', '--epochs', 'inf', '--workers', '1', '--socket', socket]);
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(socket);
      c.once('data', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(await early.exit, { code: 0, stderr: '' });
  assert.ok(!fs.existsSync(socket));

  const waiting = spawnStream(['s', '--socket', socket, '--workers', '1']);
  while (!fs.existsSync(socket)) await new Promise((r) => setTimeout(r, 20));
  // Someone listening: a second stream refuses the path.
  const taken = streamBytes(dir, ['s', '--socket', socket]);
  assert.equal(taken.status, 2);
  assert.match(taken.stderr, /--socket ".*early\.sock" is in use/);
  waiting.child.kill('SIGTERM');
  const { code, stderr } = await waiting.exit;
  assert.equal(code, 130);
  assert.match(stderr, /interrupted by SIGTERM after 0 batches/);
  assert.ok(!fs.existsSync(socket), 'the socket file is removed');

  fs.writeFileSync(path.join(dir, 'plain'), 'not a socket');
  const file = streamBytes(dir, ['s', '--socket', 'plain']);
  assert.equal(file.status, 2);
  assert.match(file.stderr, /--socket "plain" exists and is not a socket/);
  assert.equal(fs.readFileSync(path.join(dir, 'plain'), 'utf8'), 'not a socket');
});

test('bad flags exit 2 naming the flag and the value, a missing store exits 1 naming it, both before any byte', limit, () => {
  for (const [args, message] of [
    [['--epochs', '0'], /--epochs must be a positive integer or inf, got "0"/],
    [['--batches', 'x'], /--batches must be an integer, got "x"/],
    [['--batches', '0'], /--batches must be an integer in \[1, \d+\], got 0/],
    [['--dtype', 'int16'], /--dtype must be int32 or int64, got "int16"/],
    [['--resume', 'no-such-file'], /--resume must be a JSON state or a file holding one, got "no-such-file"/],
    [['--resume', '{seed'], /--resume "\{seed" is not JSON/],
    [['--resume', '{"seed": 0, "epoch": -1, "batchIndex": 0}'], /--resume: state\.optionsHash must equal/],
    [['--resume', '{"seed": 3, "epoch": 0, "batchIndex": 0}'], /--resume: state\.seed must equal --seed \(0\), got 3/],
    [['--mask-prob', '2'], /--mask-prob must be in \[0, 1\], got 2/],
    [['--socket', ''], /--socket must not be empty/],
  ] as const) {
    const r = streamBytes(dir, ['s', ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout.length, 0);
  }
  const missing = streamBytes(dir, ['gone/store']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /gone\/store/);
  assert.equal(missing.stdout.length, 0);
  fs.writeFileSync(path.join(dir, 'blank.txt'), '\n');
  assert.equal(cli(dir, ['ingest', 'blank.txt', '--out', 'empty', '--workers', '1']).status, 0);
  const empty = streamBytes(dir, ['empty', '--epochs', 'inf']);
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /empty: the store is empty \(0 documents, no tokens\); there is nothing to stream \[ERR_BAD_INPUT\]/);
  assert.equal(empty.stdout.length, 0);
});

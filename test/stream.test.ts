// streamBatches: the wire records of the loader's batches on any Writable, backpressure, and how
// a stream ends (done, the reader gone, a signal, a write error), read by a decoder of its own.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLoader, createMemoryStore, MaskpackError, ROBERTA_VOCAB_SIZE, robertaSpecials, streamBatches, type LoaderOptions, type PaddedDenseLoaderOptions } from 'maskpack';

const store = createMemoryStore({
  documents: Array.from({ length: 12 }, (_, d) => Array.from({ length: 2 + (d % 4) }, (_, s) => Array.from({ length: 3 + ((d * 7 + s * 5) % 17) }, (_, t) => 10 + ((d * 31 + s * 7 + t) % 900)))),
  vocabSize: ROBERTA_VOCAB_SIZE,
  specials: robertaSpecials,
});

interface Decoded { header: Record<string, unknown>; arrays: Record<string, { descr: string; shape: number[]; values: number[] }> }

/** One `.npy` record at `at`: its type string, shape and values, and where the next starts. */
function record(bytes: Buffer, at: number): { descr: string; shape: number[]; values: number[]; raw: Buffer; end: number } {
  assert.deepEqual([...bytes.subarray(at, at + 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], `a .npy 1.0 record at ${at}`);
  const length = bytes.readUInt16LE(at + 8);
  assert.equal((10 + length) % 64, 0, 'the data starts at a multiple of 64');
  const m = /^\{'descr': '([<|]\w\d)', 'fortran_order': False, 'shape': \(([\d, ]*)\), \} *\n$/.exec(bytes.toString('latin1', at + 10, at + 10 + length));
  assert.ok(m, 'a header dict');
  const shape = m[2].split(',').map((d) => d.trim()).filter((d) => d !== '').map(Number);
  const size = { '|u1': 1, '<i4': 4, '<i8': 8 }[m[1]]!;
  const start = at + 10 + length;
  const end = start + size * shape.reduce((a, b) => a * b, 1);
  const raw = bytes.subarray(start, end);
  const values = Array.from({ length: raw.length / size }, (_, i) => (size === 1 ? raw[i] : size === 4 ? raw.readInt32LE(4 * i) : Number(raw.readBigInt64LE(8 * i))));
  return { descr: m[1], shape, values, raw, end };
}

/** Every batch of a stream's bytes, and its end record (undefined when the stream was cut). */
function decode(bytes: Buffer): { batches: Decoded[]; end: Record<string, unknown> | undefined } {
  const batches: Decoded[] = [];
  let at = 0;
  while (at < bytes.length) {
    const h = record(bytes, at);
    assert.equal(h.descr, '|u1');
    const header = JSON.parse(h.raw.toString('utf8')) as Record<string, unknown> & { arrays: string[] };
    at = h.end;
    if (header.end) {
      assert.equal(at, bytes.length, 'nothing after the end record');
      return { batches, end: header };
    }
    const arrays: Decoded['arrays'] = {};
    for (const name of header.arrays) {
      const r = record(bytes, at);
      arrays[name] = { descr: r.descr, shape: r.shape, values: r.values };
      at = r.end;
    }
    batches.push({ header, arrays });
  }
  return { batches, end: undefined };
}

/** A Writable that keeps what it is given; `hold` delays each write's callback until `release()`. */
function sink(hold = false): Writable & { bytes(): Buffer; writes: number; release(): void; fail?: Error & { code?: string } } {
  const chunks: Buffer[] = [];
  const held: (() => void)[] = [];
  const out = new Writable({
    writev(items, cb) {
      out.writes++;
      if (out.fail) return cb(out.fail);
      for (const { chunk } of items) chunks.push(Buffer.from(chunk));
      if (hold) held.push(() => cb()); else cb();
    },
  }) as Writable & { bytes(): Buffer; writes: number; release(): void; fail?: Error & { code?: string } };
  out.writes = 0;
  out.bytes = () => Buffer.concat(chunks);
  out.release = () => held.splice(0).forEach((f) => f());
  return out;
}

const options: PaddedDenseLoaderOptions = { format: 'segment-pair', seqLen: 32, batchSize: 4, seed: 5, workers: 0, epochs: 2 };

test('each loader batch is a header (epoch, batchIndex, arrays, the state after it) and its arrays, then the end record', async () => {
  const out = sink();
  const summary = await streamBatches(store, out, options);
  const { batches, end } = decode(out.bytes());
  const loader = createLoader(store, options);
  let k = 0;
  for await (const b of loader) {
    const got = batches[k++];
    const [B, L] = b.shape;
    assert.deepEqual(got.header, { maskpack: 'stream-v1', epoch: loader.lastDelivered!.epoch, batchIndex: loader.lastDelivered!.batchIndex, arrays: ['input_ids', 'attention_mask', 'labels', 'token_type_ids', 'next_sentence_label'], state: loader.state() });
    const grid = (a: Int32Array) => ({ descr: '<i4', shape: [B, L], values: [...a] });
    assert.deepEqual(got.arrays, {
      input_ids: grid(b.inputIds), attention_mask: grid(b.attentionMask), labels: grid(b.labels), token_type_ids: grid(b.tokenTypeIds!),
      next_sentence_label: { descr: '<i4', shape: [B], values: [...b.nextSentenceLabel!] },
    });
  }
  assert.equal(k, batches.length);
  assert.deepEqual(new Set(batches.map((b) => b.header.epoch)), new Set([0, 1]));
  assert.deepEqual(end, { maskpack: 'stream-v1', end: true, epoch: summary.state.epoch, batchIndex: summary.state.batchIndex, arrays: [], state: loader.state(), batches: k });
  assert.deepEqual(summary, { ending: 'done', batches: k, state: loader.state() });
  assert.equal(out.writes, k + 1, 'one writev per batch, one for the end record');

  const wide = sink();
  await streamBatches(store, wide, { ...options, dtype: 'int64', batches: 3 });
  const w = decode(wide.bytes());
  assert.deepEqual(w.batches.map((b) => Object.values(b.arrays).map((a) => [a.descr, a.values])), batches.slice(0, 3).map((b) => Object.values(b.arrays).map((a) => ['<i8', a.values])));
  assert.ok(w.batches.some((b) => b.arrays.labels.values.includes(-100)), 'negative values sign-extended');
});

test('backpressure: at most two batches are handed to a reader that does not read (one being written, one queued)', async () => {
  const out = sink(true);
  let handed = 0; // batches given to out.write (the last chunk of each carries the callback)
  const write = out.write.bind(out) as (chunk: unknown, cb?: unknown) => boolean;
  out.write = ((chunk: unknown, cb?: unknown) => {
    if (typeof cb === 'function') handed++;
    return write(chunk, cb);
  }) as typeof out.write;
  const done = streamBatches(store, out, { ...options, batches: 4 });
  const settle = () => new Promise((r) => setTimeout(r, 30));
  for (let released = 0; released < 4; released++) {
    await settle();
    assert.equal(handed, Math.min(released + 2, 4), `after ${released} batches written out`);
    out.release();
  }
  await settle();
  assert.equal(handed, 5, 'the end record once the last batch is out');
  out.release();
  assert.equal((await done).batches, 4);
  assert.equal(decode(out.bytes()).batches.length, 4);
});

test('a reader that goes away ends the stream as closed; the state is after the last batch written', async () => {
  const out = sink(true);
  const done = streamBatches(store, out, options);
  await new Promise((r) => setTimeout(r, 20));
  out.release();
  await new Promise((r) => setTimeout(r, 20));
  out.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  const summary = await done;
  const first = decode(out.bytes()).batches;
  assert.equal(summary.ending, 'closed');
  assert.equal(summary.batches, 1);
  assert.deepEqual(summary.state, first[0].header.state);
});

test('a signal ends the stream as aborted, also while it waits for a batch or for the reader', async () => {
  const stalled = sink(true);
  const controller = new AbortController();
  const done = streamBatches(store, stalled, { ...options, signal: controller.signal });
  await new Promise((r) => setTimeout(r, 20));
  controller.abort();
  assert.deepEqual(await done, { ending: 'aborted', batches: 0, state: { seed: 5, epoch: 0, batchIndex: 0, optionsHash: (await done).state.optionsHash } });

  // With a worker the first batch takes a thread's start-up: the signal comes while it is awaited.
  const early = new AbortController();
  const out = sink();
  const waiting = streamBatches(store, out, { ...options, workers: 1, signal: early.signal });
  setTimeout(() => early.abort(), 0);
  assert.equal((await waiting).ending, 'aborted');
  assert.equal(out.writes, 0);

  // An output promise that gives up on the signal (as a socket's first connection does).
  const never = new AbortController();
  const connection = new Promise<Writable>((_, reject) => never.signal.addEventListener('abort', () => reject(new Error('no consumer connected'))));
  const pending = streamBatches(store, connection, { ...options, signal: never.signal });
  never.abort();
  assert.equal((await pending).ending, 'aborted');
});

test('a write error other than the reader going away rejects with ERR_STREAM_IO; bad options reject before anything is written', async () => {
  const full = sink();
  full.fail = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  await assert.rejects(streamBatches(store, full, options), (err: unknown) => err instanceof MaskpackError && err.code === 'ERR_STREAM_IO' && /no space left on device/.test(err.message));
  await assert.rejects(streamBatches(store, Promise.reject(new Error('no consumer')), options), /no consumer/);
  for (const [bad, kind, message] of [
    [{ batches: 0 }, RangeError, /^options\.batches must be an integer in \[1, \d+\], got 0$/],
    [{ dtype: 'int8' }, RangeError, /^options\.dtype must be one of int32, int64, got "int8"$/],
    [{ signal: {} }, TypeError, /^options\.signal must be an AbortSignal/],
    [{ seqLen: 2 }, RangeError, /options\.seqLen/],
  ] as const) {
    const out = sink();
    await assert.rejects(streamBatches(store, out, { ...options, ...(bad as object) }), (err: unknown) => err instanceof kind && message.test((err as Error).message));
    assert.equal(out.writes, 0);
  }
});

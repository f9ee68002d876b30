/**
 * Reading inputs that cannot be read by position: FIFOs (named pipes, and the `/dev/fd/N` of a
 * shell's process substitution `<(zcat corpus.gz)`), devices, and standard input.
 *
 * A FIFO is opened with `O_NONBLOCK`, which on Linux returns at once even while no process has
 * it open for writing (a blocking open would stop the main thread, and with it signal handling,
 * until a writer came), and is then read through libuv's event loop like a pipe, so nothing
 * waits in a thread: until a writer connects the read simply has no data yet (Linux reports no
 * hang-up on a FIFO that has never had a writer), and an abort destroys the stream at once.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { Readable } from 'node:stream';

/** `stream`, destroyed with the signal's reason when `signal` aborts (so a pending read rejects at once). */
export function abortable(stream: Readable, signal: AbortSignal | undefined): AsyncIterable<Buffer> {
  if (!signal) return stream;
  const onAbort = (): void => { stream.destroy(signal.reason ?? new Error('aborted')); };
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  stream.once('close', () => signal.removeEventListener('abort', onAbort));
  return stream;
}

/** The bytes of a FIFO or device, front to back, as they arrive; aborting `signal` stops the read. */
export function specialFileChunks(file: string, fifo: boolean, signal: AbortSignal | undefined): AsyncIterable<Buffer> {
  if (!fifo) return abortable(fs.createReadStream(file), signal);
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  return abortable(new net.Socket({ fd, readable: true, writable: false }), signal);
}

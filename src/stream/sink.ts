/**
 * A writable byte stream (a pipe, a socket, a file) as the stream's output: writes one batch's
 * records at a time and says how the write ended — written out, the consumer gone (a closed
 * pipe or socket is the consumer's way to stop, not a failure), or interrupted by a signal.
 */
import type { Writable } from 'node:stream';
import { MaskpackError } from '../errors.js';

/** How a write ended. */
export type WriteEnd = 'written' | 'closed' | 'aborted';

/** Error codes that mean the reading side has gone away. */
const CONSUMER_GONE = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_WRITE_AFTER_END']);

export class Sink {
  private failure: Error | undefined;
  private gone = false;
  /** The writes waiting for something to happen (a flush, an error, the signal). */
  private readonly waiting = new Set<() => void>();
  private readonly wake = (): void => {
    for (const resolve of this.waiting) resolve();
    this.waiting.clear();
  };
  private readonly onError = (err: Error & { code?: string }): void => {
    if (CONSUMER_GONE.has(err.code ?? '')) this.gone = true;
    else this.failure ??= err;
    this.wake();
  };
  private readonly onClose = (): void => {
    this.gone = true;
    this.wake();
  };
  private readonly onAbort = (): void => this.wake();

  constructor(private readonly out: Writable, private readonly signal: AbortSignal | undefined) {
    out.on('error', this.onError);
    out.on('close', this.onClose);
    signal?.addEventListener('abort', this.onAbort);
  }

  /**
   * Hands `chunks` to the stream at once (one `writev`) and resolves once the last is handed to
   * the system, the consumer is gone or `signal` aborted; only after `written` may the chunks'
   * memory be reused. Several writes may be pending; they resolve in order. Rejects with
   * `ERR_STREAM_IO` on any other write error (a full disk, …).
   */
  async write(chunks: readonly Uint8Array[]): Promise<WriteEnd> {
    let flushed = false;
    const settled = (): WriteEnd | undefined => {
      if (this.failure) throw new MaskpackError('ERR_STREAM_IO', `the stream could not be written: ${this.failure.message}`, { cause: this.failure });
      if (this.signal?.aborted) return 'aborted';
      if (this.gone) return 'closed';
      return flushed ? 'written' : undefined;
    };
    const early = settled();
    if (early) return early;
    this.out.cork();
    chunks.forEach((chunk, i) => {
      this.out.write(chunk, i < chunks.length - 1 ? undefined : (err) => {
        if (err) this.onError(err);
        flushed = true;
        this.wake();
      });
    });
    this.out.uncork();
    for (;;) {
      const end = settled();
      if (end) return end;
      await new Promise<void>((resolve) => this.waiting.add(resolve));
    }
  }

  /** Stops listening to the stream and the signal. */
  dispose(): void {
    this.out.off('error', this.onError);
    this.out.off('close', this.onClose);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

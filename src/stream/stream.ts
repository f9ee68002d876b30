/**
 * Live batches for a consumer in another process: the loader's batches written to a byte stream
 * in the wire format of `wire.ts`, one batch after another in the loader's order.
 *
 * Backpressure: a batch is handed to the output only once the one before the previous has been
 * handed to the system (two in the output at most: one being written, the next queued so the
 * reader never waits for a round trip), so a slow reader holds maskpack at the loader's
 * `prefetch` batches plus these two (bounded memory). A reader that goes away (a closed pipe or
 * socket) ends the stream quietly.
 */
import type { Writable } from 'node:stream';
import type { AnyBatch } from '../batch.js';
import { createLoader } from '../loader/loader.js';
import type { LoaderOptions } from '../loader/options.js';
import type { MixtureSource, SamplerState } from '../sampler/index.js';
import type { TokenStore } from '../store/types.js';
import { checkEnum, checkInteger, describe } from '../validate.js';
import { Sink, type WriteEnd } from './sink.js';
import { encodeBatch, encodeEnd } from './wire.js';

export interface StreamOptions extends LoaderOptions {
  /** Stop after this many batches (then the end record). Default: no limit. */
  batches?: number;
  /**
   * Element type of the int32 arrays on the wire: `int32` (default) or `int64` (twice the bytes,
   * for consumers that want `torch.long` without a conversion).
   */
  dtype?: 'int32' | 'int64';
  /** Stops the stream between two writes (or while it waits for a batch or for the reader). */
  signal?: AbortSignal;
}

/** How a stream ended. */
export interface StreamSummary {
  /**
   * `done`: every batch and the end record were written; `closed`: the reader went away first;
   * `aborted`: `signal` stopped it.
   */
  readonly ending: 'done' | 'closed' | 'aborted';
  /** Batches written out completely. */
  readonly batches: number;
  /** The loader's state after the last batch written (resume from it to continue). */
  readonly state: SamplerState;
}

/** Batches handed to the output at once: one being written out, the next queued behind it. */
const WINDOW = 2;

/** Resolves when `signal` aborts (never for no signal). */
function aborted(signal: AbortSignal | undefined): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (signal?.aborted) resolve('aborted');
    signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}

/**
 * Writes the batches of `store` (or of a mixture) with `options` to `output` until the run's
 * epochs (`epochs`, default 1, or endless when only `batches` is given) or `batches` are done,
 * then the end record. Does not end or close the output (the caller owns it). Each batch's
 * buffers go back to the loader once written out.
 *
 * `output` may be a promise of the stream (e.g. a socket's first connection): the loader is set
 * up first, so option errors come before any wait and the first batches are built meanwhile; a
 * promise that rejects after `signal` aborted ends the stream as `aborted`.
 *
 * Rejects with TypeError / RangeError for options (before anything is written), with the
 * loader's MaskpackError for a failed batch, with `ERR_STREAM_IO` for a write error other than
 * the reader going away.
 */
export async function streamBatches(store: TokenStore | readonly MixtureSource[], output: Writable | Promise<Writable>, options: StreamOptions = {}): Promise<StreamSummary> {
  if (output instanceof Promise) output.catch(() => {}); // awaited below unless the options are refused first
  const { batches: limitOption, dtype: dtypeOption, signal, ...loaderOptions } = options;
  const limit = limitOption === undefined ? Infinity : checkInteger('options.batches', limitOption, 1, Number.MAX_SAFE_INTEGER);
  const int64 = checkEnum('options.dtype', dtypeOption ?? 'int32', ['int32', 'int64'] as const) === 'int64';
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`options.signal must be an AbortSignal, got ${describe(signal)}`);
  const loader = createLoader(store, { ...loaderOptions, epochs: loaderOptions.epochs ?? (limitOption === undefined ? 1 : Infinity) });
  let sink: Sink | undefined;
  const stop = aborted(signal);
  let sent = 0;
  let written = loader.state(); // the state after the last batch written out
  const summary = (ending: StreamSummary['ending']): StreamSummary => ({ ending, batches: sent, state: written });
  const ended = (end: WriteEnd): StreamSummary | undefined => (end === 'written' ? undefined : summary(end));
  try {
    const out = await Promise.race([output, stop]).catch((err: unknown) => {
      if (signal?.aborted) return 'aborted' as const;
      throw err;
    });
    if (out === 'aborted') return summary('aborted');
    sink = new Sink(out, signal);
    // Batches handed to the output and not yet written out, oldest first: at most WINDOW, so the
    // next batch is queued while one is being written and the reader never waits for a round trip.
    const pending: { batch: AnyBatch; after: SamplerState; end: Promise<WriteEnd> }[] = [];
    const settle = async (): Promise<StreamSummary | undefined> => {
      const oldest = pending.shift()!;
      const end = ended(await oldest.end);
      if (end) return end; // the batch may still be in a pending write: not recycled
      loader.recycle(oldest.batch);
      sent++;
      written = oldest.after;
      return undefined;
    };
    for (let handed = 0; handed < limit; handed++) {
      const next = loader.next();
      next.catch(() => {}); // when the signal wins the race, close() settles it
      const result = await Promise.race([next, stop]);
      if (result === 'aborted') return summary('aborted');
      if (result.done) break;
      const after = loader.state();
      const end = sink.write(encodeBatch(result.value, loader.lastDelivered!, after, int64));
      end.catch(() => {}); // awaited by settle(), unless an earlier batch ends the stream first
      pending.push({ batch: result.value, after, end });
      if (pending.length >= WINDOW) {
        const stopped = await settle();
        if (stopped) return stopped;
      }
    }
    while (pending.length > 0) {
      const stopped = await settle();
      if (stopped) return stopped;
    }
    return ended(await sink.write(encodeEnd(sent, written))) ?? summary('done');
  } finally {
    sink?.dispose();
    await loader.close();
  }
}

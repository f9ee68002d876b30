/**
 * The parallel loader: masked batches built by a Piscina pool of collate workers, delivered
 * in sampler order with bounded prefetch.
 *
 *   main thread: sampler.next() ──sample ids──▶ worker: row plan from the shared sample index,
 *   collate + mask in the shared memory that holds the store ──move──▶ main thread: Batch
 *
 * The main thread only orders batches; everything proportional to tokens runs in workers.
 */
import { availableParallelism } from 'node:os';
import type { AnyBatch, Batch, BatchOf } from '../batch.js';
import { CollateKernel, OUTPUT_KEYS, type OutputBuffers } from '../collate/kernel.js';
import { planRows } from '../collate/plan.js';
import { fromWire, MaskpackError } from '../errors.js';
import { FORMATS } from '../formats/index.js';
import type { SampleIndex } from '../formats/types.js';
import { createSampler, toSources, type MixtureSource, type Sampler, type SamplerBatch, type SamplerState } from '../sampler/index.js';
import type { TokenStore } from '../store/types.js';
import { kernelModule } from '../wasm/module.js';
import { chooseAccess, localSources, placeStores, type StoreAccess } from '../wasm/stores.js';
import { resolveLoaderOptions, type LoaderOptions, type ResolvedLoaderOptions } from './options.js';
import { indexKey, outputBuffers, sharedLayout, staleKeys, type WorkerInit, type WorkerJob, type WorkerReply } from './protocol.js';
import { JobStreams, type Stream, type Waiter } from './streams.js';

/** A batch submitted and not yet delivered: settled by its worker's reply (or by the inline kernel). */
class Pending implements Waiter {
  batch: AnyBatch | undefined;
  error: MaskpackError | undefined;
  /** Set while `next()` waits for this batch. */
  wake: (() => void) | undefined;

  constructor(readonly epoch: number, readonly batchIndex: number) {}

  get where(): string {
    return `batch ${this.batchIndex} of epoch ${this.epoch}`;
  }

  get settled(): boolean {
    return this.batch !== undefined || this.error !== undefined;
  }

  resolve(reply: WorkerReply): void {
    if (reply.kind === 'batch') this.batch = reply.batch;
    else if (reply.kind === 'error') this.error = fromWire(reply.error, this.where);
    else this.error = new MaskpackError('ERR_WORKER', `${this.where}: unexpected reply ${reply.kind}`);
    this.wake?.();
  }

  reject(err: Error): void {
    this.error = err instanceof MaskpackError ? err : new MaskpackError('ERR_WORKER', `${this.where}: ${err.message}`, { cause: err });
    this.wake?.();
  }
}

/**
 * The loader; `B` is the form of its batches (`Batch`, padded with dense labels, unless the
 * options choose another: see `createLoader`).
 */
export class Loader<B extends AnyBatch = Batch> implements AsyncIterableIterator<B> {
  readonly options: ResolvedLoaderOptions;
  /** How the workers reach the tokens: loaded whole (`memory`) or read per batch (`stream`). */
  readonly storeAccess: StoreAccess;
  private readonly sampler: Sampler;
  private readonly endEpoch: number;
  private readonly pool: JobStreams | undefined;
  private readonly inline: CollateKernel | undefined;
  private readonly perEpoch: boolean;
  /** Scratch of {@link missingIndexes}: the epoch of each source last checked. */
  private readonly seenEpochs: Float64Array;
  private readonly queue: Pending[] = [];
  /** Buffers of consumed batches given back with {@link recycle}, waiting to be written again. */
  private readonly recycled: OutputBuffers[] = [];
  private failure: MaskpackError | undefined;
  /** `next()` calls not settled yet, and the last of them (a later call waits for it). */
  private calls = 0;
  private lastCall: Promise<IteratorResult<B>> | undefined;
  /** `state()` once the loader has stopped (closed, failed or at its end). */
  private finalState: SamplerState | undefined;
  private closed = false;
  private stopping: Promise<void> | undefined;
  private delivered: { readonly epoch: number; readonly batchIndex: number } | undefined;

  /** Use {@link createLoader}. */
  constructor(store: TokenStore | readonly MixtureSource[], options: LoaderOptions = {}) {
    const sources = toSources(store);
    const stores = sources.map((s) => s.store);
    this.options = resolveLoaderOptions(stores[0], options);
    const o = this.options;
    this.sampler = createSampler(sources, { ...o.sampler, ...o.mixture });
    if (o.resume) this.sampler.resume(o.resume);
    this.endEpoch = o.sampler.epoch + o.epochs;
    this.perEpoch = FORMATS[this.sampler.options.format].perEpoch;
    this.seenEpochs = new Float64Array(sources.length);
    this.storeAccess = chooseAccess(o.storeAccess, stores, o.workers);
    const placed = placeStores(stores, this.storeAccess, stores[0].vocabSize);
    const specials = stores[0].specials;
    if (o.workers === 0) {
      this.inline = new CollateKernel({ params: o.mask, pad: specials.pad, memory: placed.memory, sources: localSources(placed.sources, stores), elemSize: placed.elemSize, form: o.form });
    } else {
      const context = this.sampler.planContext();
      const init: WorkerInit = {
        module: kernelModule(), memory: placed.memory, sources: [...placed.sources], elemSize: placed.elemSize, params: o.mask, form: o.form, pad: specials.pad,
        tier: o.tier, layouts: stores.map(sharedLayout), specials, template: context.template, pair: context.pair, perEpoch: this.perEpoch,
      };
      this.pool = new JobStreams(new URL('./worker.js', import.meta.url).href, init, o.workers);
    }
  }

  /**
   * The next batch in sampler order, or `done` after the last epoch. Rejects with a
   * `MaskpackError` naming the batch when a worker fails; every later call rejects the same way.
   * Calls made before the previous one settled are served in call order, one batch each.
   */
  next(): Promise<IteratorResult<B>> {
    const call = this.calls++ === 0 ? this.take() : this.lastCall!.then(() => this.take(), () => this.take());
    this.lastCall = call;
    return call;
  }

  private async take(): Promise<IteratorResult<B>> {
    try {
      if (this.failure) throw this.failure;
      if (this.closed) return { value: undefined, done: true };
      this.fill();
      const head = this.queue[0];
      if (!head) {
        void this.shutdown(); // the last batch is delivered: free the workers now
        return { value: undefined, done: true };
      }
      // One promise per batch, and only when the batch is not there yet: the main thread's cost
      // per batch is taken from the workers when there are as many workers as cores.
      if (!head.settled) await new Promise<void>((resolve) => { head.wake = resolve; });
      if (head.error) {
        if (this.closed) throw new MaskpackError('ERR_CLOSED', 'the loader was closed while a batch was pending');
        this.failure = head.error;
        void this.shutdown();
        throw this.failure;
      }
      if (this.closed) return { value: undefined, done: true };
      this.queue.shift();
      this.delivered = { epoch: head.epoch, batchIndex: head.batchIndex };
      this.fill();
      return { value: head.batch! as B, done: false };
    } finally {
      this.calls--;
    }
  }

  /** The state to resume from: the next batch this loader would deliver (prefetched batches not yet consumed count as not delivered). */
  state(): SamplerState {
    if (this.finalState) return this.finalState;
    const s = this.sampler.state();
    const head = this.queue[0];
    return head ? { ...s, epoch: head.epoch, batchIndex: head.batchIndex } : s;
  }

  /** The epoch and batch index of the last batch `next()` delivered (undefined before the first). */
  get lastDelivered(): { readonly epoch: number; readonly batchIndex: number } | undefined {
    return this.delivered;
  }

  /** Stops the workers; pending and later `next()` calls end. Safe to call more than once. */
  async close(): Promise<void> {
    this.closed = true;
    await this.shutdown();
  }

  async return(): Promise<IteratorResult<B>> {
    await this.close();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<B> {
    return this;
  }

  /** The normalised weight of each source as used (`[1]` for a single store). */
  get weights(): readonly number[] {
    return this.sampler.weights;
  }

  /** Workers in the pool (0 when batches are built in the calling thread). */
  get workers(): number {
    return this.options.workers;
  }

  /**
   * Gives a consumed batch back (optional): its `[B, L]` buffers are transferred to a worker and
   * written again with a later batch, instead of new ones being allocated (no page faults for
   * fresh memory, no garbage for the collector). Call it only when nothing reads the batch any
   * more (for ONNX Runtime: after the step that used it has settled); once a buffer is sent it is
   * detached, so a stale reference reads as empty rather than as another batch's data. Batches
   * that are never given back are simply collected.
   * @throws TypeError when the batch's buffers are not plain, attached ArrayBuffers, one per
   * array (arrays that share a buffer, e.g. views into one allocation, cannot be transferred
   * separately), and the loader is left as it was.
   */
  recycle(batch: AnyBatch): void {
    const out = outputBuffers(batch);
    const seen = new Set<ArrayBuffer>();
    for (const key of OUTPUT_KEYS) {
      const b = out[key];
      if (b === undefined) continue;
      if (!(b instanceof ArrayBuffer) || b.byteLength === 0 || seen.has(b)) {
        throw new TypeError('recycle(batch) needs a batch whose arrays each have their own attached, non-shared ArrayBuffer');
      }
      seen.add(b);
    }
    if (this.closed || this.failure || this.recycled.length >= this.options.prefetch + 2) return;
    for (const r of this.recycled) if (sharesBuffer(r, out)) return; // given back twice
    this.recycled.push(out);
  }

  /** Diagnostics for the tests: byte lengths of the last batch a worker sent (0 = moved away). */
  async lastTransfer(): Promise<number[]> {
    if (!this.pool) return [];
    const reply = await this.pool.post(this.pool.streams[0], { kind: 'lastTransfer' }, 'lastTransfer');
    return reply.kind === 'lastTransfer' ? reply.byteLengths : [];
  }

  /** Lets the batches in flight finish (briefly, see `JobStreams.close`), then stops the workers. */
  private shutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    this.finalState = this.state(); // the prefetched batches dropped here were never delivered
    this.queue.splice(0);
    await this.pool?.close();
  }

  /** Submits batches until `prefetch` are pending or the run's last epoch is planned. */
  private fill(): void {
    while (this.queue.length < this.options.prefetch && this.hasMore()) {
      const b = this.sampler.next();
      const fault = this.options.testFault?.batchIndex === b.batchIndex ? this.options.testFault.kind : undefined;
      const recycled = this.recycled.pop();
      const pending = new Pending(b.epoch, b.batchIndex);
      this.queue.push(pending);
      if (this.inline) {
        try {
          const moved = recycled && detach(recycled);
          pending.batch = this.inline.run(this.options.tier, planRows(this.sampler.planContext(), b), b.epoch, moved);
        } catch (err) {
          const code = err instanceof MaskpackError && (err.code === 'ERR_STORE_CORRUPT' || err.code === 'ERR_BAD_INPUT') ? err.code : 'ERR_KERNEL';
          pending.error = new MaskpackError(code, `${pending.where}: ${(err as Error).message}`, { cause: err });
        }
      } else {
        try {
          const stream = this.pool!.pick();
          const job: WorkerJob = {
            kind: 'collate', epoch: b.epoch, batchIndex: b.batchIndex, sampleIds: b.sampleIds, width: b.width, recycled, fault,
            ...(b.sources ? { sources: b.sources, sourceEpochs: b.sourceEpochs } : {}),
          };
          const indexes = this.missingIndexes(stream, b);
          if (indexes) job.indexes = indexes;
          const transfer = [b.sampleIds.buffer as ArrayBuffer];
          if (recycled) for (const key of OUTPUT_KEYS) if (recycled[key]) transfer.push(recycled[key]);
          this.pool!.send(stream, job, pending, transfer);
        } catch (err) {
          // Not sent (e.g. no memory for the epoch's shared index): the batch fails in its turn.
          pending.reject(new MaskpackError('ERR_WORKER', `${pending.where}: could not prepare the job: ${(err as Error).message}`, { cause: err }));
        }
      }
    }
  }

  /**
   * The sample indexes the rows of `b` need that `stream`'s worker does not have yet (the worker
   * keeps what it is sent under the same rule, see `staleKeys`). Indexes live in shared memory, so
   * posting one copies nothing. Undefined when the worker has them all.
   */
  private missingIndexes(stream: Stream, b: SamplerBatch): SentIndex[] | undefined {
    let out: SentIndex[] | undefined;
    const need = (source: number, epoch: number): void => {
      const key = indexKey(source, epoch, this.perEpoch);
      if (stream.indexes.has(key)) return;
      stream.indexes.add(key);
      if (this.perEpoch) for (const stale of staleKeys(stream.indexes, source, epoch)) stream.indexes.delete(stale);
      (out ??= []).push({ key, source, epoch, index: this.sampler.index(epoch, source) });
    };
    if (!b.sources) {
      need(0, b.epoch);
      return out;
    }
    // Rows of one source come in increasing epochs: look only where a source's epoch changes.
    const seen = this.seenEpochs.fill(-1);
    for (let r = 0; r < b.sources.length; r++) {
      const s = b.sources[r];
      if (seen[s] === b.sourceEpochs![r]) continue;
      seen[s] = b.sourceEpochs![r];
      need(s, seen[s]);
    }
    return out;
  }

  private hasMore(): boolean {
    const { epoch, batchIndex } = this.sampler.state();
    const e = batchIndex >= this.sampler.numBatches(epoch) ? epoch + 1 : epoch;
    return e < this.endEpoch;
  }
}

/** A sample index posted to a worker with a job. */
type SentIndex = { key: string; source: number; epoch: number; index: SampleIndex };

/** Whether two sets of batch buffers have a buffer in common. */
function sharesBuffer(a: OutputBuffers, b: OutputBuffers): boolean {
  for (const x of OUTPUT_KEYS) for (const y of OUTPUT_KEYS) if (a[x] !== undefined && a[x] === b[y]) return true;
  return false;
}

/** Moves each buffer to a new ArrayBuffer object, detaching the old one (as a transfer to a worker would). */
function detach(buffers: OutputBuffers): OutputBuffers {
  const out: OutputBuffers = {};
  for (const [key, b] of Object.entries(buffers) as [keyof OutputBuffers, ArrayBuffer | undefined][]) {
    if (b) out[key] = structuredClone(b, { transfer: [b] });
  }
  return out;
}

/**
 * A loader over `store`, or over a weighted mixture of stores (`[{ store, weight }, …]`): an
 * async iterable of masked `Batch`es in sampler order, built by `workers` threads (default: the
 * number of cores) with `prefetch` batches in flight (default 2 × workers). Options are
 * validated here (TypeError / RangeError naming the option).
 *
 * The stores' tokens are loaded once into a shared WebAssembly memory that every worker reads,
 * or, for stores too large for it (`storeAccess`), read per batch from their files by the
 * workers; each batch is written into fresh ArrayBuffers in a worker and moved (not copied) to
 * the caller, who owns them.
 *
 * The batches' form follows `layout` (`'padded'` rows, or `'packed'` back to back), `labels`
 * (`'dense'`, or `'sparse'` lists of the masked positions) and `maxPredictions` (the `[B, N]`
 * sparse form): see `src/batch.ts`; the type of the loader's batches follows the options' types.
 */
export function createLoader<O extends LoaderOptions = {}>(store: TokenStore | readonly MixtureSource[], options?: O): Loader<BatchOf<O>> {
  return new Loader<BatchOf<O>>(store, options ?? {});
}

export const defaultWorkers = (): number => availableParallelism();

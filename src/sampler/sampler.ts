/**
 * The sampler: epoch order, global batches (by count or token budget), the rank share of each
 * global batch, and a resumable state.
 */
import { buildRowPlan, type RowPlan } from '../collate/plan.js';
import { MaskpackError } from '../errors.js';
import { FORMATS, sampleIndexFor } from '../formats/index.js';
import type { SampleIndex } from '../formats/types.js';
import type { TokenStore } from '../store/types.js';
import { checkInteger } from '../validate.js';
import { rankShare, tokenBudgetBoundaries } from './batching.js';
import { optionsHash, padWidth, resolveSamplerOptions, type ResolvedSamplerOptions, type SamplerOptions } from './options.js';
import { epochPermutation } from './permutation.js';

/** Where a sampler stands: the next batch it will produce. Plain data; JSON-serialisable. */
export interface SamplerState {
  readonly seed: number;
  readonly epoch: number;
  readonly batchIndex: number;
  readonly optionsHash: string;
}

/** One rank's share of one global batch. */
export interface SamplerBatch {
  readonly epoch: number;
  readonly batchIndex: number;
  /** This rank's rows, in global order (fresh array, owned by the caller). */
  readonly sampleIds: Uint32Array;
  /** Padded width of the global batch (every rank pads to it, so ranks concatenate to the global batch). */
  readonly width: number;
  /** Rows in the global batch. */
  readonly globalRows: number;
  /** Index of this rank's first row within the global batch. */
  readonly rowOffset: number;
}

interface EpochData {
  readonly epoch: number;
  readonly index: SampleIndex;
  readonly order: Uint32Array;
  /** Token-budget boundaries, or undefined for count batching. */
  readonly bounds: Uint32Array | undefined;
  readonly numBatches: number;
}

export class Sampler {
  readonly options: ResolvedSamplerOptions;
  readonly optionsHash: string;
  readonly store: TokenStore;
  /** The last two epochs built: a consumer planning the end of one epoch after `next()` moved on does not rebuild. */
  private current: EpochData | undefined;
  private previous: EpochData | undefined;
  private singleIndex: SampleIndex | undefined;
  private nextEpoch: number;
  private nextBatch = 0;

  /** Use {@link createSampler}. */
  constructor(store: TokenStore, options: ResolvedSamplerOptions) {
    this.store = store;
    this.options = options;
    this.optionsHash = optionsHash(options);
    this.nextEpoch = options.epoch;
  }

  /** The sample index of `epoch` (the same object for every epoch of the single formats). */
  index(epoch: number = this.nextEpoch): SampleIndex {
    return this.epochData(epoch).index;
  }

  /** Global batches in `epoch`. */
  numBatches(epoch: number = this.nextEpoch): number {
    return this.epochData(epoch).numBatches;
  }

  /** The next batch this rank consumes, moving to the next epoch after the last batch of one. */
  next(): SamplerBatch {
    let data = this.epochData(this.nextEpoch);
    while (this.nextBatch >= data.numBatches) {
      if (data.numBatches === 0) throw new MaskpackError('ERR_BAD_INPUT', `epoch ${data.epoch} has no batches (the store is too small for the options)`);
      this.nextEpoch++;
      this.nextBatch = 0;
      data = this.epochData(this.nextEpoch);
    }
    return this.batch(this.nextEpoch, this.nextBatch++);
  }

  /** Random access to this rank's share of global batch `batchIndex` of `epoch`. */
  batch(epoch: number, batchIndex: number): SamplerBatch {
    const data = this.epochData(epoch);
    checkInteger('batchIndex', batchIndex, 0, data.numBatches - 1);
    const { batchSize, rank, worldSize } = this.options;
    const begin = data.bounds ? data.bounds[batchIndex] : batchIndex * batchSize;
    const end = data.bounds ? data.bounds[batchIndex + 1] : Math.min(begin + batchSize, data.order.length);
    const rowLength = data.index.rowLength;
    let longest = 0;
    if (this.options.pad !== 'max') for (let p = begin; p < end; p++) longest = Math.max(longest, rowLength[data.order[p]]);
    const [lo, hi] = rankShare(end - begin, rank, worldSize);
    return {
      epoch,
      batchIndex,
      sampleIds: data.order.slice(begin + lo, begin + hi),
      width: padWidth(longest, this.options),
      globalRows: end - begin,
      rowOffset: lo,
    };
  }

  /** The row plan of a batch this sampler produced. */
  plan(batch: SamplerBatch): RowPlan {
    return buildRowPlan(this.store, this.store.specials, this.index(batch.epoch), batch.sampleIds, batch.width);
  }

  /** The state to resume from: the next batch to be produced. O(1). */
  state(): SamplerState {
    return { seed: this.options.seed, epoch: this.nextEpoch, batchIndex: this.nextBatch, optionsHash: this.optionsHash };
  }

  /**
   * The state that resumes right after `batch` (for consumers that prefetch: the loader reports
   * the state after the last batch it delivered, not the sampler's own position). O(1).
   */
  stateAfter(batch: SamplerBatch): SamplerState {
    return { seed: this.options.seed, epoch: batch.epoch, batchIndex: batch.batchIndex + 1, optionsHash: this.optionsHash };
  }

  /**
   * Continue from `state`: the following `next()` calls return exactly what an uninterrupted
   * run would have. No batch is replayed; only the epoch's index, order and boundaries are
   * (re)built or loaded, as at the start of any epoch. Works with any rank / worldSize.
   * @throws RangeError when the state belongs to another seed or other options.
   */
  resume(state: SamplerState): void {
    if (state === null || typeof state !== 'object') throw new TypeError(`state must be a SamplerState object, got ${state === null ? 'null' : typeof state}`);
    if (state.seed !== this.options.seed) throw new RangeError(`state.seed must equal options.seed (${this.options.seed}), got ${state.seed}`);
    if (state.optionsHash !== this.optionsHash) {
      throw new RangeError(`state.optionsHash must equal this sampler's (${this.optionsHash}), got ${String(state.optionsHash)}`);
    }
    const epoch = checkInteger('state.epoch', state.epoch, 0, 0xffffffff);
    const batchIndex = checkInteger('state.batchIndex', state.batchIndex, 0, this.numBatches(epoch));
    this.nextEpoch = epoch;
    this.nextBatch = batchIndex;
  }

  private epochData(epoch: number): EpochData {
    if (this.current?.epoch === epoch) return this.current;
    if (this.previous?.epoch === epoch) return this.previous;
    checkInteger('epoch', epoch, 0, 0xffffffff);
    const o = this.options;
    const spec = FORMATS[o.format];
    const params = { format: o.format, seqLen: o.seqLen, template: o.template, seed: o.seed, epoch };
    const prefix = o.cache && this.store.prefix !== '' ? this.store.prefix : undefined;
    let index: SampleIndex;
    if (spec.perEpoch) index = sampleIndexFor(this.store, params, prefix);
    else index = this.singleIndex ??= sampleIndexFor(this.store, params, prefix);
    const order = epochPermutation(index.numSamples, o.seed, epoch);
    const bounds = o.batchBy === 'tokens' ? tokenBudgetBoundaries(order, index.rowLength, o) : undefined;
    const n = order.length;
    const numBatches = bounds ? bounds.length - 1 : o.dropLast ? Math.floor(n / o.batchSize) : Math.ceil(n / o.batchSize);
    this.previous = this.current;
    this.current = { epoch, index, order, bounds, numBatches };
    return this.current;
  }
}

/**
 * A sampler over `store`. Options are validated here (TypeError / RangeError naming the option).
 * Building an epoch's structures is O(samples); everything else is O(batch).
 */
export function createSampler(store: TokenStore, options?: SamplerOptions): Sampler {
  if (store === null || typeof store !== 'object') throw new TypeError(`store must be a TokenStore, got ${store === null ? 'null' : typeof store}`);
  return new Sampler(store, resolveSamplerOptions(options, store.prefix));
}

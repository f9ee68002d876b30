/**
 * The sampler: epoch order, global batches (by count or token budget), the rank share of each
 * global batch, and a resumable state; over one store, or a weighted mixture of stores.
 *
 * One store: epoch e is the store's samples in the order of its epoch-e permutation.
 * A mixture: epoch e has `mixEpochSamples` positions (default: the sum of the sources' first-epoch
 * sample counts); position p draws from the source chosen by the blending rule (`blend.ts`: each
 * prefix within one sample of the weights; the same for every epoch), and the k-th draw of source s in epoch e is position
 * `P = e × draws_s + k` of that source's own stream of epochs (its epoch `floor(P / n_s)`, offset
 * `P mod n_s`, with `n_s` its first epoch's sample count): a source with more draws than samples
 * repeats within a mixture epoch (each pass in a fresh order of its own), one with fewer is cut,
 * and its order carries on in the next mixture epoch. Everything stays a pure function of
 * (seed, epoch), so resuming is O(1) and ranks and workers see the same batches.
 */
import type { PlanContext } from '../collate/plan.js';
import { MaskpackError } from '../errors.js';
import type { SampleIndex } from '../formats/types.js';
import type { SpecialTokens, TokenStore } from '../store/types.js';
import { checkInteger, checkOptionsObject } from '../validate.js';
import { blend, type Blend } from './blend.js';
import { rankShare, tokenBudgetBoundaries } from './batching.js';
import { withDefaultBudget } from './budget.js';
import { checkCompatible, resolveMixture, type MixtureSource } from './mixture.js';
import { optionsHash, padWidth, resolveSamplerOptions, type ResolvedSamplerOptions, type SamplerOptions } from './options.js';
import { SamplerSource } from './source.js';

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
  /** This rank's rows, in global order: the sample of each row in its source (fresh array, owned by the caller). */
  readonly sampleIds: Uint32Array;
  /** Mixtures: the source of each row (fresh array). */
  readonly sources?: Uint8Array;
  /** Mixtures: the epoch of each row's source (fresh array). */
  readonly sourceEpochs?: Uint32Array;
  /** Padded width of the global batch (every rank pads to it, so ranks concatenate to the global batch). */
  readonly width: number;
  /** Rows in the global batch. */
  readonly globalRows: number;
  /** Index of this rank's first row within the global batch. */
  readonly rowOffset: number;
}

interface EpochData {
  readonly epoch: number;
  /** Positions in the epoch. */
  readonly length: number;
  /** Sample of each position (in its source). */
  readonly order: Uint32Array;
  /** Mixtures: the source and the source's epoch of each position. */
  readonly sources?: Uint8Array;
  readonly sourceEpochs?: Uint32Array;
  /** Real tokens of the row at each position. */
  readonly lengthAt: (p: number) => number;
  /** Token-budget boundaries, or undefined for count batching. */
  readonly bounds: Uint32Array | undefined;
  readonly numBatches: number;
}

/** Options of a mixture of stores (ignored for a single store). */
export interface MixtureOptions {
  /** XLM-R's temperature: weights ∝ weight × tokens^mixAlpha, in [0, 1] (0.3 in XLM-R). Default: none. */
  mixAlpha?: number;
  /** Positions (rows of all ranks) per mixture epoch; default the sum of the sources' first-epoch samples. */
  mixEpochSamples?: number;
}

export class Sampler {
  readonly options: ResolvedSamplerOptions;
  readonly optionsHash: string;
  /** The first (for a single store, the only) store. */
  readonly store: TokenStore;
  readonly sources: readonly SamplerSource[];
  /** Mixtures: the normalised weight of each source, as used. */
  readonly weights: readonly number[];
  /** Mixtures: the positions per epoch, and which source each one draws from. */
  private readonly mix: (Blend & { readonly base: readonly number[] }) | undefined;
  /** The last two epochs built: a consumer planning the end of one epoch after `next()` moved on does not rebuild. */
  private current: EpochData | undefined;
  private previous: EpochData | undefined;
  private nextEpoch: number;
  private nextBatch = 0;
  private context: PlanContext | undefined;

  /** Use {@link createSampler}. */
  constructor(stores: readonly MixtureSource[], options: ResolvedSamplerOptions & MixtureOptions) {
    this.options = options;
    this.store = stores[0].store;
    this.sources = stores.map((s, i) => new SamplerSource(s.store, i, options));
    this.nextEpoch = options.epoch;
    if (stores.length === 1) {
      this.weights = [1];
      this.optionsHash = optionsHash(options);
      return;
    }
    const resolved = resolveMixture(stores, this.sources.map((s) => s.index(0).numSamples), options);
    this.weights = resolved.weights;
    this.mix = { ...blend(resolved.weights, resolved.epochSamples), base: this.sources.map((s) => s.index(0).numSamples) };
    this.optionsHash = optionsHash(options, resolved.identity);
  }

  /** The special ids every source shares. */
  get specials(): SpecialTokens {
    return this.store.specials;
  }

  /** The sample index of `epoch` of source `source` (default 0; the same object for every epoch of the single formats). */
  index(epoch: number = this.nextEpoch, source = 0): SampleIndex {
    return this.sources[source].index(epoch);
  }

  /** What the planner needs to turn this sampler's batches into row plans. */
  planContext(): PlanContext {
    return (this.context ??= {
      sources: this.sources, specials: this.specials, template: this.options.template, pair: this.options.format.endsWith('-pair'),
    });
  }

  /** Global batches in `epoch`. */
  numBatches(epoch: number = this.nextEpoch): number {
    return this.epochData(epoch).numBatches;
  }

  /** Positions (rows of all ranks) in `epoch`. */
  epochLength(epoch: number = this.nextEpoch): number {
    return this.epochData(epoch).length;
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
    const end = data.bounds ? data.bounds[batchIndex + 1] : Math.min(begin + batchSize, data.length);
    let longest = 0;
    if (this.options.pad !== 'max') for (let p = begin; p < end; p++) longest = Math.max(longest, data.lengthAt(p));
    const [lo, hi] = rankShare(end - begin, rank, worldSize);
    return {
      epoch,
      batchIndex,
      sampleIds: data.order.slice(begin + lo, begin + hi),
      ...(data.sources ? { sources: data.sources.slice(begin + lo, begin + hi), sourceEpochs: data.sourceEpochs!.slice(begin + lo, begin + hi) } : {}),
      width: padWidth(longest, this.options),
      globalRows: end - begin,
      rowOffset: lo,
    };
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
    const data = this.mix ? this.mixtureEpoch(epoch, this.mix) : this.storeEpoch(epoch);
    this.previous = this.current;
    this.current = data;
    return data;
  }

  /** One store: its epoch's samples in its epoch's order. */
  private storeEpoch(epoch: number): EpochData {
    const source = this.sources[0];
    const rowLength = source.index(epoch).rowLength;
    const order = source.order(epoch);
    return this.withBatches({ epoch, length: order.length, order, lengthAt: (p) => rowLength[order[p]] });
  }

  /** A mixture: each position's source by the blend, its sample from that source's stream of epochs. */
  private mixtureEpoch(epoch: number, mix: Blend & { readonly base: readonly number[] }): EpochData {
    const n = mix.source.length;
    const order = new Uint32Array(n);
    const sourceEpochs = new Uint32Array(n);
    const rowLength = new Int32Array(n);
    for (let p = 0; p < n; p++) {
      const s = mix.source[p];
      const base = mix.base[s];
      const at = epoch * mix.counts[s] + mix.ordinal[p];
      const e = Math.floor(at / base);
      if (e > 0xffffffff) throw new RangeError(`epoch ${epoch} of the mixture needs epoch ${e} of source ${s}, past 2^32 - 1`);
      const source = this.sources[s];
      const index = source.index(e);
      const sourceOrder = source.order(e);
      // A pair format's later epochs may hold a few samples fewer than its first: wrap around.
      const sample = sourceOrder[(at - e * base) % sourceOrder.length];
      order[p] = sample;
      sourceEpochs[p] = e;
      rowLength[p] = index.rowLength[sample];
    }
    return this.withBatches({ epoch, length: n, order, sources: mix.source, sourceEpochs, lengthAt: (p) => rowLength[p] });
  }

  private withBatches(data: Omit<EpochData, 'bounds' | 'numBatches'>): EpochData {
    const o = this.options;
    const bounds = o.batchBy === 'tokens' ? tokenBudgetBoundaries(data.length, data.lengthAt, o) : undefined;
    const n = data.length;
    const numBatches = bounds ? bounds.length - 1 : o.dropLast ? Math.floor(n / o.batchSize) : Math.ceil(n / o.batchSize);
    return { ...data, bounds, numBatches };
  }
}

/**
 * A sampler over `store`, or over a weighted mixture of stores (`[{ store, weight? }, …]`).
 * Options are validated here (TypeError / RangeError naming the option). Building an epoch's
 * structures is O(samples); everything else is O(batch).
 */
export function createSampler(store: TokenStore | readonly MixtureSource[], options?: SamplerOptions & MixtureOptions): Sampler {
  const sources = toSources(store);
  const { mixAlpha, mixEpochSamples, ...rest } = checkOptionsObject(options) as SamplerOptions & MixtureOptions;
  let resolved = resolveSamplerOptions(rest, sources[0].store.prefix);
  // The default budget of one store matches its counterpart format's batches (`budget.ts`); a
  // mixture keeps batchSize × seqLen.
  if (rest.tokenBudget === undefined && sources.length === 1) resolved = withDefaultBudget(sources[0].store, resolved);
  return new Sampler(sources, { ...resolved, ...(mixAlpha !== undefined ? { mixAlpha } : {}), ...(mixEpochSamples !== undefined ? { mixEpochSamples } : {}) });
}

/** `store` as a list of sources, checked (the stores of a mixture must agree on what ids mean). */
export function toSources(store: TokenStore | readonly MixtureSource[]): readonly MixtureSource[] {
  if (Array.isArray(store)) {
    checkCompatible(store as readonly MixtureSource[]);
    return store as readonly MixtureSource[];
  }
  if (store === null || typeof store !== 'object') throw new TypeError(`store must be a TokenStore, got ${store === null ? 'null' : typeof store}`);
  return [{ store: store as TokenStore }];
}

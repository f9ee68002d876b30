/**
 * One store as the sampler sees it: its sample index and its epoch permutation for any epoch of
 * its own, built on demand (or loaded from the index cache) and kept for the last few epochs.
 */
import type { PlanSource } from '../collate/plan.js';
import { FORMATS, sampleIndexFor } from '../formats/index.js';
import type { SampleIndex } from '../formats/types.js';
import { sourceSeed } from '../rng.js';
import type { TokenStore } from '../store/types.js';
import { checkInteger } from '../validate.js';
import { indexEpoch, type ResolvedSamplerOptions } from './options.js';
import { epochPermutation } from './permutation.js';

/**
 * Epochs of one source kept built: two (the sampler's current and previous epoch), or for small
 * sources (under 2^20 samples) up to eight, as a batch of a mixture can cross several epochs of
 * a small source. A large store's per-epoch arrays are never held more than twice.
 */
const KEEP_LARGE = 2;
const KEEP_SMALL = 8;

export class SamplerSource implements PlanSource {
  /** The seed of this source's decisions (see `sourceSeed`): the sampler's for source 0. */
  readonly seed: number;
  private readonly built = new Map<number, { index: SampleIndex; order: Uint32Array | undefined }>();
  private singleIndex: SampleIndex | undefined;

  constructor(
    readonly store: TokenStore,
    /** Position of this source in the mixture (0 for a single store). */
    readonly position: number,
    private readonly options: ResolvedSamplerOptions,
  ) {
    this.seed = sourceSeed(options.seed, position);
  }

  get layout(): TokenStore {
    return this.store;
  }

  /** The sample index of this source's `epoch` (the same object for every epoch of the single formats; for the pair formats with `dupeFactor`, the index of `epoch mod dupeFactor`). */
  index(epoch: number): SampleIndex {
    return this.epoch(epoch).index;
  }

  /** The order of this source's samples in its `epoch`: `order[p]` is the sample at position `p`. */
  order(epoch: number): Uint32Array {
    const e = this.epoch(epoch);
    return (e.order ??= epochPermutation(e.index.numSamples, this.seed, epoch));
  }

  private epoch(epoch: number): { index: SampleIndex; order: Uint32Array | undefined } {
    let data = this.built.get(epoch);
    if (data) return data;
    checkInteger('epoch', epoch, 0, 0xffffffff);
    const o = this.options;
    const spec = FORMATS[o.format];
    const params = { format: o.format, seqLen: o.seqLen, template: o.template, seed: this.seed, epoch: indexEpoch(epoch, o) };
    const prefix = o.cache && this.store.prefix !== '' ? this.store.prefix : undefined;
    const index = spec.perEpoch ? sampleIndexFor(this.store, params, prefix) : (this.singleIndex ??= sampleIndexFor(this.store, params, prefix));
    data = { index, order: undefined };
    this.built.set(epoch, data);
    const keep = index.numSamples < 1 << 20 ? KEEP_SMALL : KEEP_LARGE;
    while (this.built.size > keep) this.built.delete(this.built.keys().next().value!);
    return data;
  }
}

/**
 * Collate + mask in the calling thread: the store's tokens are loaded once into kernel memory,
 * then each plan becomes a masked `Batch` in one kernel pass. The loader runs the same kernel in
 * its workers.
 */
import type { Batch } from '../batch.js';
import type { KernelTier } from '../mask/kernel.js';
import { resolveMaskOptions, withEpoch, type MaskOptions, type MaskParams } from '../mask/options.js';
import { maskWithReference } from '../mask/reference.js';
import type { TokenStore } from '../store/types.js';
import { checkPlan, CollateKernel, storeInKernelMemory } from './kernel.js';
import type { RowPlan } from './plan.js';
import { collateReference } from './reference.js';
import { optionError } from '../validate.js';

/** Masking options of a collator; the vocabulary, `<mask>`, specials and word starts come from the store. */
export type CollatorMaskOptions = Omit<MaskOptions, 'vocabSize' | 'maskId' | 'specialIds' | 'wordStarts'>;

/** The full masking options for `store`. */
export function storeMaskOptions(store: TokenStore, options: CollatorMaskOptions = {}): MaskOptions {
  if (options.wholeWordMask && !store.wordStarts) {
    throw optionError(RangeError, ['options.wholeWordMask'], (n) => `${n} needs word-start information, and the store has none`);
  }
  return {
    ...options,
    vocabSize: store.vocabSize,
    maskId: store.specials.mask,
    specialIds: store.specials.all,
    ...(store.wordStarts ? { wordStarts: store.wordStarts } : {}),
  };
}

export class Collator {
  readonly params: Readonly<MaskParams>;
  readonly tier: KernelTier;
  /** @internal the kernel host (benchmarks time its pass alone). */
  readonly kernel: CollateKernel;

  /**
   * Loads `store`'s tokens into a kernel memory (the store must fit in 4 GiB).
   * @param init.tier `simd` (default) or `scalar`.
   */
  constructor(store: TokenStore, options: CollatorMaskOptions = {}, init: { tier?: KernelTier } = {}) {
    this.params = resolveMaskOptions(storeMaskOptions(store, options));
    this.tier = init.tier ?? 'simd';
    if (this.tier !== 'simd' && this.tier !== 'scalar') throw new RangeError(`init.tier must be simd or scalar, got ${String(this.tier)}`);
    const { memory, region } = storeInKernelMemory(store);
    this.kernel = new CollateKernel(this.params, store.specials.pad, region, memory);
  }

  /**
   * Collates and masks one plan at `call.epoch` (default: the `epoch` option). The batch's
   * buffers are fresh and owned by the caller.
   */
  collate(plan: RowPlan, call: { epoch?: number } = {}): Batch {
    const params = call.epoch === undefined ? this.params : withEpoch(this.params, call.epoch, 'call.epoch');
    return this.kernel.run(this.tier, plan, params);
  }
}

/**
 * The TypeScript reference of {@link Collator.collate}: `collateReference` then
 * `maskReference` over the padded rows. Bit-identical to the kernels; the tests' oracle.
 */
export function collateMaskReference(store: TokenStore, plan: RowPlan, options: CollatorMaskOptions = {}, call: { epoch?: number } = {}): Batch {
  let params = resolveMaskOptions(storeMaskOptions(store, options));
  if (call.epoch !== undefined) params = withEpoch(params, call.epoch, 'call.epoch');
  checkPlan(plan, store.numTokens, store.vocabSize);
  const c = collateReference(store, plan);
  const { inputIds, labels } = maskWithReference(params, c.inputIds, plan.sampleIds, plan.width);
  const pair = plan.nextSentenceLabel !== undefined;
  return {
    inputIds, attentionMask: c.attentionMask, labels,
    ...(pair ? { tokenTypeIds: c.tokenTypeIds, nextSentenceLabel: plan.nextSentenceLabel!.slice() } : {}),
    shape: [plan.rows, plan.width] as const,
    sampleIds: plan.sampleIds.slice(),
  };
}

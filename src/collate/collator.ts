/**
 * Collate + mask in the calling thread: the store's tokens are loaded once into kernel memory,
 * then each plan becomes a masked batch (in the form the options choose, `src/batch.ts`) in one
 * kernel pass. The loader runs the same kernel in its workers.
 */
import type { Batch, BatchFormOptions, BatchOf } from '../batch.js';
import type { KernelTier } from '../mask/kernel.js';
import { resolveMaskOptions, withEpoch, type MaskOptions, type MaskParams } from '../mask/options.js';
import { maskRowsWithReference } from '../mask/reference.js';
import { toSources, type MixtureSource } from '../sampler/index.js';
import type { TokenStore } from '../store/types.js';
import { checkEnum } from '../validate.js';
import { chooseAccess, localSources, placeStores, type StoreAccess, type StoreAccessOption } from '../wasm/stores.js';
import { FORM_KEYS, resolveBatchForm, type BatchForm } from './form.js';
import { checkPlan, CollateKernel, rowKeys } from './kernel.js';
import type { RowPlan } from './plan.js';
import { collateReference } from './reference.js';
import { optionError } from '../validate.js';

/** Masking options of a collator; the vocabulary, `<mask>`, specials and word starts come from the store. */
export type CollatorMaskOptions = Omit<MaskOptions, 'vocabSize' | 'maskId' | 'specialIds' | 'wordStarts'>;

/** Options of a collator: the masking options and the batch form (`layout`, `labels`, `maxPredictions`). */
export type CollatorOptions = CollatorMaskOptions & BatchFormOptions;

/** The full masking options for `store` (the batch-form options, if any, left out). */
export function storeMaskOptions(store: TokenStore, options: CollatorOptions = {}): MaskOptions {
  if (options.wholeWordMask && !store.wordStarts) {
    throw optionError(RangeError, ['options.wholeWordMask'], (n) => `${n} needs word-start information, and the store has none`);
  }
  const mask: Record<string, unknown> = { ...options };
  // maxPredictions stays: it is also the masker's cap (at most N selected per row).
  for (const key of FORM_KEYS) if (key !== 'maxPredictions') delete mask[key];
  return {
    ...(mask as CollatorMaskOptions),
    vocabSize: store.vocabSize,
    maskId: store.specials.mask,
    specialIds: store.specials.all,
    ...(store.wordStarts ? { wordStarts: store.wordStarts } : {}),
  };
}

export class Collator<O extends CollatorOptions = CollatorMaskOptions> {
  readonly params: Readonly<MaskParams>;
  /** The form of the batches (`layout`, `labels`, `maxPredictions`). */
  readonly form: BatchForm;
  readonly tier: KernelTier;
  /** Where the kernel reads the tokens: the stores loaded whole, or each plan's spans read from them. */
  readonly storeAccess: StoreAccess;
  /** @internal the kernel host (benchmarks time its pass alone). */
  readonly kernel: CollateKernel;

  /**
   * A collator over `store`, or over the stores of a mixture (plans then name each row's source).
   * @param init.tier `simd` (default) or `scalar`.
   * @param init.storeAccess `auto` (default: load stores of at most 2 GiB into kernel memory),
   *   `memory`, or `stream` (read each plan's spans from the stores).
   */
  constructor(store: TokenStore | readonly MixtureSource[], options: O = {} as O, init: { tier?: KernelTier; storeAccess?: StoreAccessOption } = {}) {
    const stores = toSources(store).map((s) => s.store);
    this.params = resolveMaskOptions(storeMaskOptions(stores[0], options));
    this.form = resolveBatchForm(options);
    this.tier = checkEnum('init.tier', init.tier ?? 'simd', ['simd', 'scalar'] as const);
    this.storeAccess = chooseAccess(checkEnum('init.storeAccess', init.storeAccess ?? 'auto', ['auto', 'memory', 'stream'] as const), stores, 0);
    const placed = placeStores(stores, this.storeAccess, stores[0].vocabSize);
    this.kernel = new CollateKernel({ params: this.params, pad: stores[0].specials.pad, memory: placed.memory, sources: localSources(placed.sources, stores), elemSize: placed.elemSize, form: this.form });
  }

  /**
   * Collates and masks one plan at `call.epoch` (default: the `epoch` option), in the
   * collator's batch form. The batch's buffers are fresh and owned by the caller.
   */
  collate(plan: RowPlan, call: { epoch?: number } = {}): BatchOf<O> {
    // The effective epoch (mod dupeFactor): the kernel host's reduction of it again is a no-op.
    const epoch = call.epoch === undefined ? this.params.epoch : withEpoch(this.params, call.epoch, 'call.epoch').epoch;
    return this.kernel.run(this.tier, plan, epoch) as BatchOf<O>;
  }
}

/**
 * The TypeScript reference of {@link Collator.collate}: `collateReference` then
 * `maskReference` over the padded rows. Bit-identical to the kernels; the tests' oracle.
 */
export function collateMaskReference(
  store: TokenStore | readonly MixtureSource[], plan: RowPlan, options: CollatorMaskOptions = {}, call: { epoch?: number } = {},
): Batch {
  const stores = toSources(store).map((s) => s.store);
  let params = resolveMaskOptions(storeMaskOptions(stores[0], options));
  if (call.epoch !== undefined) params = withEpoch(params, call.epoch, 'call.epoch');
  checkPlan(plan, stores.map((s) => s.numTokens), stores[0].vocabSize);
  const c = collateReference(stores, plan);
  const keys = new Uint32Array(plan.rows);
  rowKeys(params, plan, params.epoch, keys);
  const { inputIds, labels } = maskRowsWithReference(params, c.inputIds, keys, plan.width);
  const pair = plan.nextSentenceLabel !== undefined;
  return {
    inputIds, attentionMask: c.attentionMask, labels,
    ...(pair ? { tokenTypeIds: c.tokenTypeIds, nextSentenceLabel: plan.nextSentenceLabel!.slice() } : {}),
    shape: [plan.rows, plan.width] as const,
    sampleIds: plan.sampleIds.slice(),
    ...(plan.sources ? { sourceIds: Int32Array.from(plan.sources) } : {}),
  };
}

/** Loader options: the sampler's, the masker's, and the pool's, validated once. */
import type { BatchFormOptions } from '../batch.js';
import { resolveBatchForm, type BatchForm } from '../collate/form.js';
import { MaskpackError } from '../errors.js';
import { DEFAULT_SEQ_LEN } from '../formats/index.js';
import type { Fault } from './protocol.js';
import type { KernelTier } from '../mask/kernel.js';
import { resolveMaskOptions, type MaskOptions, type MaskParams } from '../mask/options.js';
import type { MixtureOptions, SamplerOptions, SamplerState } from '../sampler/index.js';
import type { TokenStore } from '../store/types.js';
import type { StoreAccessOption } from '../wasm/stores.js';
import { checkEnum, checkInteger, checkKnownKeys, describe, isOptionError, optionError } from '../validate.js';
import { availableParallelism } from 'node:os';

/** Masking options a loader takes; the vocabulary, `<mask>` and specials come from the store. */
export type LoaderMaskOptions = Pick<MaskOptions,
  'maskProb' | 'maskReplaceProb' | 'randomReplaceProb' | 'randomIdRange' | 'ignoreIndex' | 'selection' | 'wholeWordMask' | 'dupeFactor'
  | 'spanMask' | 'spanP' | 'spanMaxLength' | 'maxPredictions'>;

export interface LoaderOptions extends SamplerOptions, MixtureOptions, LoaderMaskOptions, BatchFormOptions {
  /**
   * How workers reach the tokens: `memory` loads the stores once into shared kernel memory (at
   * most 4 GiB in all), `stream` reads each batch's spans from the files, `auto` (default)
   * loads stores of at most 2 GiB and streams larger ones. The batches are the same bytes.
   */
  storeAccess?: StoreAccessOption;
  /** Collate workers; 0 builds batches in the calling thread. Default: the number of cores. */
  workers?: number;
  /** Batches in flight (submitted or ready, not yet consumed). Default 2 × workers (1 without workers). */
  prefetch?: number;
  /** Epochs to deliver, from `epoch`; `Infinity` for endless. Default 1. */
  epochs?: number;
  /** Kernel tier, `simd` (default) or `scalar`. */
  tier?: KernelTier;
  /** Continue from a `state()` of an earlier loader with the same options. */
  resume?: SamplerState;
  /** For the tests of failure handling: make the worker building `batchIndex` throw or exit. */
  testFault?: { batchIndex: number; kind: Fault };
}

/**
 * Loader options that keep the batches padded with dense labels (the `Batch` type): for code
 * that takes options as a variable and reads `Batch` fields (`LoaderOptions` itself allows every form).
 */
export type PaddedDenseLoaderOptions = LoaderOptions & { layout?: 'padded'; labels?: 'dense'; maxPredictions?: undefined };

export interface ResolvedLoaderOptions {
  sampler: SamplerOptions & { epoch: number };
  mask: MaskParams;
  /** The batch form: `layout`, `labels`, `maxPredictions`. */
  form: BatchForm;
  workers: number;
  prefetch: number;
  epochs: number;
  tier: KernelTier;
  storeAccess: StoreAccessOption;
  mixture: MixtureOptions;
  resume: SamplerState | undefined;
  testFault: { batchIndex: number; kind: Fault } | undefined;
}

const MASK_KEYS = ['maskProb', 'maskReplaceProb', 'randomReplaceProb', 'randomIdRange', 'ignoreIndex', 'selection', 'wholeWordMask', 'dupeFactor',
  'spanMask', 'spanP', 'spanMaxLength', 'maxPredictions'] as const;
// dupeFactor is in both lists: the masks and the pair formats' pairs repeat with it.
const SAMPLER_KEYS = ['format', 'seqLen', 'template', 'seed', 'epoch', 'batchSize', 'batchBy', 'tokenBudget', 'countPadding', 'pad', 'padToMultipleOf', 'dropLast', 'rank', 'worldSize', 'cache', 'dupeFactor'] as const;
const LOADER_KEYS = ['workers', 'prefetch', 'epochs', 'tier', 'storeAccess', 'mixAlpha', 'mixEpochSamples', 'resume', 'testFault', 'layout', 'labels'] as const;

/** Masking options that the loader takes from the store, not from the caller. */
const FROM_STORE = /^(vocabSize|maskId|specialIds|wordStarts)\b/;

/**
 * An option error about what the store supplies (its vocabulary size, special ids, word starts)
 * is a defect of the store, not of the caller's options: `ERR_STORE_CORRUPT` naming the manifest.
 */
function storeDefect(store: TokenStore, err: unknown): unknown {
  if (!isOptionError(err) || !err.options.some((p) => FROM_STORE.test(p))) return err;
  const file = store.prefix ? `${store.prefix}.json` : 'the store';
  return new MaskpackError('ERR_STORE_CORRUPT', `${file}: the store's ${err.messageWith((p) => p)}`, { cause: err });
}

export function resolveLoaderOptions(store: TokenStore, options: LoaderOptions): ResolvedLoaderOptions {
  checkKnownKeys('options', options as unknown, [...new Set([...MASK_KEYS, ...SAMPLER_KEYS, ...LOADER_KEYS])]);
  const sampler: Record<string, unknown> = {};
  const mask: Record<string, unknown> = {};
  for (const key of SAMPLER_KEYS) if (options[key] !== undefined) sampler[key] = options[key];
  for (const key of MASK_KEYS) if (options[key] !== undefined) mask[key] = options[key];
  const form = resolveBatchForm(options);
  // maxPredictions is both a masking option (the masker selects at most N per row) and a form
  // option (the [B, N] shape of sparse labels), so the [B, N] form never has to refuse a row.
  // A row holds at most seqLen tokens: a larger N would only allocate [B, N] padding.
  const seqLen = typeof options.seqLen === 'number' ? options.seqLen : DEFAULT_SEQ_LEN;
  if (form.maxPredictions !== undefined && form.maxPredictions > seqLen) {
    throw optionError(RangeError, ['options.maxPredictions', 'options.seqLen'], (m, s) => `${m} must be at most ${s} (${seqLen}): a row holds at most that many tokens, got ${form.maxPredictions}`);
  }
  if (options.wholeWordMask && !store.wordStarts) {
    throw optionError(RangeError, ['options.wholeWordMask'], (n) => `${n} needs word-start information, and the store has none`);
  }
  let params: MaskParams;
  try {
    params = resolveMaskOptions({
      ...mask,
      vocabSize: store.vocabSize,
      maskId: store.specials.mask,
      specialIds: store.specials.all,
      ...(store.wordStarts ? { wordStarts: store.wordStarts } : {}),
      seed: options.seed ?? 0,
    } as MaskOptions);
  } catch (err) {
    throw storeDefect(store, err);
  }
  const workers = checkInteger('options.workers', options.workers ?? availableParallelism(), 0, 256);
  const prefetch = checkInteger('options.prefetch', options.prefetch ?? Math.max(1, 2 * workers), 1, 4096);
  const epochs = options.epochs === Infinity ? Infinity : checkInteger('options.epochs', options.epochs ?? 1, 1, 2 ** 32);
  const tier = checkEnum('options.tier', options.tier ?? 'simd', ['simd', 'scalar'] as const);
  const storeAccess = checkEnum('options.storeAccess', options.storeAccess ?? 'auto', ['auto', 'memory', 'stream'] as const);
  const mixture: MixtureOptions = {};
  if (options.mixAlpha !== undefined) mixture.mixAlpha = options.mixAlpha;
  if (options.mixEpochSamples !== undefined) mixture.mixEpochSamples = options.mixEpochSamples;
  const fault = options.testFault;
  if (fault !== undefined && (typeof fault !== 'object' || !Number.isInteger(fault.batchIndex) || !['throw', 'exit'].includes(fault.kind))) {
    throw optionError(TypeError, ['options.testFault'], (n) => `${n} must be { batchIndex, kind: 'throw' | 'exit' }, got ${describe(fault)}`);
  }
  return {
    sampler: { ...(sampler as SamplerOptions), epoch: options.epoch ?? 0 },
    mask: params, form, workers, prefetch, epochs, tier, storeAccess, mixture, resume: options.resume, testFault: fault,
  };
}

/**
 * The format registry and the public sample-index entry point, with the on-disk cache.
 */
import type { StoreLayout } from '../store/types.js';
import { checkBoolean, checkEnum, checkInteger, checkOptionsObject } from '../validate.js';
import { cacheKey, cachePath, readCachedIndex, writeCachedIndex } from './cache.js';
import { buildDocSentences } from './doc-sentences.js';
import { buildFullSentences } from './full-sentences.js';
import { buildSegmentPair } from './segment-pair.js';
import { buildSentencePair } from './sentence-pair.js';
import type { FormatName, SampleIndex, SampleIndexParams, Template } from './types.js';

export interface FormatSpec {
  readonly build: (layout: StoreLayout, params: SampleIndexParams) => SampleIndex;
  /** Rebuilt each epoch from (seed, epoch): the pair formats. */
  readonly perEpoch: boolean;
  /** The sampler's default batching: by sequence count, or by a token budget. */
  readonly defaultBatchBy: 'count' | 'tokens';
}

/** Every format, by name. */
export const FORMATS: Readonly<Record<FormatName, FormatSpec>> = Object.freeze({
  'full-sentences': { build: buildFullSentences, perEpoch: false, defaultBatchBy: 'count' },
  'doc-sentences': { build: buildDocSentences, perEpoch: false, defaultBatchBy: 'tokens' },
  'segment-pair': { build: buildSegmentPair, perEpoch: true, defaultBatchBy: 'count' },
  'sentence-pair': { build: buildSentencePair, perEpoch: true, defaultBatchBy: 'tokens' },
});

export const FORMAT_NAMES = Object.keys(FORMATS) as FormatName[];
export const TEMPLATES: readonly Template[] = ['roberta', 'bert'];
export const MIN_SEQ_LEN = 8;
export const MAX_SEQ_LEN = 65536;

export interface SampleIndexOptions {
  /** Default `'full-sentences'`. */
  format?: FormatName;
  /** Default 512, an integer in [8, 65536]. */
  seqLen?: number;
  /** Default `'roberta'`. */
  template?: Template;
  /** uint32, default 0 (pair formats only). */
  seed?: number;
  /** Default 0 (pair formats only). */
  epoch?: number;
  /** Read/write `<prefix>.<format>-<key>.idx.bin`; default: true when `store.prefix` is not empty. */
  cache?: boolean;
}

/** The default `seqLen`. */
export const DEFAULT_SEQ_LEN = 512;

/** Validate and default the index options (throws TypeError / RangeError naming the option). */
export function resolveIndexParams(options: unknown): SampleIndexParams {
  const o = checkOptionsObject(options);
  return {
    format: checkEnum('options.format', o.format ?? 'full-sentences', FORMAT_NAMES),
    seqLen: checkInteger('options.seqLen', o.seqLen ?? DEFAULT_SEQ_LEN, MIN_SEQ_LEN, MAX_SEQ_LEN),
    template: checkEnum('options.template', o.template ?? 'roberta', TEMPLATES),
    seed: checkInteger('options.seed', o.seed ?? 0, 0, 0xffffffff),
    epoch: checkInteger('options.epoch', o.epoch ?? 0, 0, 0xffffffff),
  };
}

/**
 * The sample index of `store` for (format, seqLen, template[, seed, epoch]): built in one pass
 * over the store's layout, or loaded from its cache file when a valid one exists.
 * The returned arrays are owned by the caller.
 *
 * @throws TypeError / RangeError for bad options; MaskpackError `ERR_BAD_INPUT` when a pair
 *   format meets a store with fewer than two non-empty documents.
 */
export function buildSampleIndex(store: StoreLayout & { readonly prefix?: string }, options?: SampleIndexOptions): SampleIndex {
  const params = resolveIndexParams(options);
  const prefix = store.prefix ?? '';
  const cache = checkBoolean('options.cache', options?.cache ?? prefix !== '');
  return sampleIndexFor(store, params, cache && prefix !== '' ? prefix : undefined);
}

/** Build (or load) with already validated params; `prefix` enables the cache. */
export function sampleIndexFor(store: StoreLayout, params: SampleIndexParams, prefix: string | undefined): SampleIndex {
  const spec = FORMATS[params.format];
  if (prefix === undefined) return spec.build(store, params);
  const key = cacheKey(store, params, spec.perEpoch);
  const path = cachePath(prefix, params.format, key);
  const cached = readCachedIndex(path, key, params, spec.perEpoch);
  if (cached !== undefined) return cached;
  const index = spec.build(store, params);
  writeCachedIndex(path, key, index);
  return index;
}

export type { FormatName, Template, SampleIndex, SingleSampleIndex, PairSampleIndex, SampleIndexParams } from './types.js';
export { PAIR_FLAG, pairSpecials } from './types.js';
export { storeFingerprint } from './cache.js';

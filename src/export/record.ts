/**
 * The content of an export's `options.json`: everything that decides the exported bytes and
 * nothing that does not (threads and prefetch depth never change them), so that two exports
 * with equal records hold equal files, and `createLoader(store, record.options)` on the same
 * store delivers the exported batches.
 */
import type { ResolvedSamplerOptions } from '../sampler/options.js';
import type { LoaderOptions } from '../loader/options.js';
import type { BatchForm } from '../collate/form.js';
import { MASK_DEFAULTS, type MaskParams } from '../mask/options.js';
import type { StoreManifest } from '../store/manifest.js';
import type { TokenStore } from '../store/types.js';
import { RANDOM_VERSION } from '../rng.js';
import { MASKPACK_VERSION } from '../version.js';
import type { ExportLayout, ExportWidth } from './layout.js';
import type { NpyDtype } from './npy.js';

/**
 * The record's format name and version (2: resolved options, store identity and versions; 3: row
 * layout `width` and `dtype`; 4: the batch form, options `layout`, `labels`, `maxPredictions`,
 * and `width` null for packed exports).
 */
export const EXPORT_FORMAT = 'maskpack-export';
export const EXPORT_FORMAT_VERSION = 4;

export interface ExportRecord {
  readonly format: typeof EXPORT_FORMAT;
  readonly formatVersion: typeof EXPORT_FORMAT_VERSION;
  /** The maskpack version that wrote the export. */
  readonly maskpackVersion: string;
  /** The version of the random function (`RANDOM_VERSION`) behind every mask, order and pair. */
  readonly randomVersion: number;
  /** Element type of every array. */
  readonly dtype: NpyDtype;
  /** Row layout of the files (see `layout.ts`): 'seq-len', 'epoch' or 'batch'; null for packed files. */
  readonly width: ExportWidth | null;
  /** The store: its prefix, and from its manifest the checksums of `.bin`/`.idx` (null for a store without manifest) and the counts. */
  readonly store: {
    readonly prefix: string;
    readonly sha256: StoreManifest['sha256'] | null;
    readonly counts: StoreManifest['counts'];
  };
  /** Every loader option that decides the bytes, resolved (defaults filled in), as `createLoader` takes them. */
  readonly options: LoaderOptions;
}

/** The record of an export of `epochs` epochs from `first` with the resolved `sampler` and `mask` options and its `layout`. */
export function exportRecord(
  store: TokenStore, sampler: ResolvedSamplerOptions, mask: MaskParams, options: LoaderOptions, first: number, epochs: number,
  layout: Pick<ExportLayout, 'width' | 'dtype'>, form: BatchForm,
): ExportRecord {
  const manifest = (store as TokenStore & { manifest?: StoreManifest }).manifest;
  const s = sampler;
  const byTokens = s.batchBy === 'tokens';
  return {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    maskpackVersion: MASKPACK_VERSION,
    randomVersion: RANDOM_VERSION,
    dtype: layout.dtype,
    width: layout.width,
    store: {
      prefix: store.prefix,
      sha256: manifest?.sha256 ?? null,
      counts: manifest?.counts ?? { documents: store.numDocuments, sentences: store.numSentences, tokens: store.numTokens },
    },
    options: {
      format: s.format, seqLen: s.seqLen, template: s.template, seed: s.seed, epoch: first, epochs,
      batchSize: s.batchSize, batchBy: s.batchBy,
      ...(byTokens ? { tokenBudget: s.tokenBudget, countPadding: s.countPadding } : {}),
      pad: s.pad, ...(s.pad === 'multiple' ? { padToMultipleOf: s.padToMultipleOf } : {}), dropLast: s.dropLast, rank: s.rank, worldSize: s.worldSize,
      maskProb: mask.maskProb,
      maskReplaceProb: options.maskReplaceProb ?? MASK_DEFAULTS.maskReplaceProb,
      randomReplaceProb: options.randomReplaceProb ?? MASK_DEFAULTS.randomReplaceProb,
      randomIdRange: options.randomIdRange ?? [0, store.vocabSize],
      ignoreIndex: mask.ignoreIndex,
      selection: mask.selection,
      wholeWordMask: mask.wholeWord,
      ...(mask.span ? { spanMask: true, spanP: mask.spanP, spanMaxLength: mask.spanMaxLength } : {}),
      ...(mask.maxPredictions === undefined ? {} : { maxPredictions: mask.maxPredictions }),
      ...(mask.dupeFactor === undefined ? {} : { dupeFactor: mask.dupeFactor }),
      layout: form.layout,
      labels: form.labels,
      ...(form.maxPredictions === undefined ? {} : { maxPredictions: form.maxPredictions }),
    },
  };
}

/**
 * Sampler options: defaults, validation at the public boundary, and the options hash that a
 * resumable state carries.
 */
import { createHash } from 'node:crypto';
import { FORMATS, resolveIndexParams, type FormatName, type Template } from '../formats/index.js';
import { checkBoolean, checkEnum, checkInteger, checkOptionsObject, optionError } from '../validate.js';

export type PadPolicy = 'longest' | 'multiple' | 'max';
export type BatchBy = 'count' | 'tokens';

export interface SamplerOptions {
  /** Default `'full-sentences'`. */
  format?: FormatName;
  /** Maximum row length, specials included; integer in [8, 65536], default 512. */
  seqLen?: number;
  /** `'roberta'` (default) or `'bert'`. */
  template?: Template;
  /** uint32, default 0. */
  seed?: number;
  /** First epoch, default 0. */
  epoch?: number;
  /** Global sequences per batch (count batching) and the base of the default token budget; default 32. */
  batchSize?: number;
  /** Default `'tokens'` for doc-sentences and sentence-pair, `'count'` otherwise. */
  batchBy?: BatchBy;
  /**
   * Global tokens per batch for `batchBy: 'tokens'`. Default: `batchSize` × the mean real row
   * length of the counterpart format (full-sentences for doc-sentences, segment-pair for
   * sentence-pair; see `budget.ts`), at least seqLen; batchSize × seqLen with `countPadding`.
   */
  tokenBudget?: number;
  /** Token budgets count padded tokens (rows × width) instead of real tokens; default false. */
  countPadding?: boolean;
  /** Width of a batch: the longest row, that rounded up to `padToMultipleOf` (default), or `seqLen`. */
  pad?: PadPolicy;
  /** Default 8. */
  padToMultipleOf?: number;
  /** Drop the epoch's last batch when it is incomplete; default false. */
  dropLast?: boolean;
  /** This process's rank, default 0. */
  rank?: number;
  /** Number of ranks sharing every global batch, default 1. */
  worldSize?: number;
  /** Cache sample indexes beside a file store; default true when `store.prefix` is not empty. */
  cache?: boolean;
  /**
   * Static masking (the masking option of the same name, which the loader passes here too): the
   * pair formats take the pairs of epoch `e mod dupeFactor`, so with the mask an epoch repeats
   * the rows of that epoch. Default: every epoch draws its own pairs.
   */
  dupeFactor?: number;
}

export interface ResolvedSamplerOptions {
  readonly format: FormatName;
  readonly seqLen: number;
  readonly template: Template;
  readonly seed: number;
  readonly epoch: number;
  readonly batchSize: number;
  readonly batchBy: BatchBy;
  readonly tokenBudget: number;
  readonly countPadding: boolean;
  readonly pad: PadPolicy;
  readonly padToMultipleOf: number;
  readonly dropLast: boolean;
  readonly rank: number;
  readonly worldSize: number;
  readonly cache: boolean;
  readonly dupeFactor: number | undefined;
}

const PAD_POLICIES: readonly PadPolicy[] = ['longest', 'multiple', 'max'];
const BATCH_BY: readonly BatchBy[] = ['count', 'tokens'];
const MAX_BATCH = 1 << 24;

/** The padded width of a batch whose longest row has `longest` tokens. */
export function padWidth(longest: number, o: Pick<ResolvedSamplerOptions, 'pad' | 'padToMultipleOf' | 'seqLen'>): number {
  if (o.pad === 'max') return o.seqLen;
  if (o.pad === 'longest') return longest;
  return Math.ceil(longest / o.padToMultipleOf) * o.padToMultipleOf;
}

/**
 * Validate and default `options`.
 * @throws TypeError for a wrong type, RangeError for a bad value (naming the option and the value).
 */
export function resolveSamplerOptions(options: unknown, storePrefix: string): ResolvedSamplerOptions {
  const o = checkOptionsObject(options);
  const index = resolveIndexParams(o);
  const batchSize = checkInteger('options.batchSize', o.batchSize ?? 32, 1, MAX_BATCH);
  const batchBy = checkEnum('options.batchBy', o.batchBy ?? FORMATS[index.format].defaultBatchBy, BATCH_BY);
  const pad = checkEnum('options.pad', o.pad ?? 'multiple', PAD_POLICIES);
  const padToMultipleOf = checkInteger('options.padToMultipleOf', o.padToMultipleOf ?? 8, 1, 4096);
  const countPadding = checkBoolean('options.countPadding', o.countPadding ?? false);
  const widest = countPadding ? padWidth(index.seqLen, { pad, padToMultipleOf, seqLen: index.seqLen }) : index.seqLen;
  const tokenBudget = checkInteger('options.tokenBudget', o.tokenBudget ?? batchSize * index.seqLen, widest, 2 ** 40);
  const worldSize = checkInteger('options.worldSize', o.worldSize ?? 1, 1, 65536);
  const rank = checkInteger('options.rank', o.rank ?? 0, 0, worldSize - 1);
  if (batchBy === 'count' && batchSize < worldSize) {
    throw optionError(RangeError, ['options.batchSize', 'options.worldSize'], (b, w) => `${b} must be >= ${w} (${worldSize}), got ${batchSize}`);
  }
  return {
    ...index,
    batchSize,
    batchBy,
    tokenBudget,
    countPadding,
    pad,
    padToMultipleOf,
    dropLast: checkBoolean('options.dropLast', o.dropLast ?? false),
    rank,
    worldSize,
    cache: checkBoolean('options.cache', o.cache ?? storePrefix !== ''),
    dupeFactor: o.dupeFactor === undefined ? undefined : checkInteger('options.dupeFactor', o.dupeFactor, 1, 0xffffffff),
  };
}

/**
 * The epoch whose sample index serves `epoch`: `epoch mod dupeFactor` for the pair formats under
 * static masking (their pairs repeat with the masks), else `epoch`. The single formats' index
 * does not depend on the epoch. The epoch order is always drawn from `epoch` itself.
 */
export function indexEpoch(epoch: number, o: Pick<ResolvedSamplerOptions, 'format' | 'dupeFactor'>): number {
  return FORMATS[o.format].perEpoch && o.dupeFactor !== undefined ? epoch % o.dupeFactor : epoch;
}

/**
 * The first 16 hex digits of sha256 over the options that decide the global batch sequence
 * (seed, epoch, rank and worldSize excluded: a state resumes on any number of ranks), plus, for a
 * mixture of stores, the weights as used, the epoch length and the stores' counts.
 * `dupeFactor` is appended for the pair formats only, where it decides the pairs (without it the
 * hash is what it was before the option existed, so earlier states still resume).
 */
export function optionsHash(o: ResolvedSamplerOptions, mixture?: unknown): string {
  const decisive = [
    'maskpack-sampler-v1', o.format, o.seqLen, o.template, o.batchBy, o.batchSize,
    o.batchBy === 'tokens' ? o.tokenBudget : null, o.batchBy === 'tokens' ? o.countPadding : null,
    o.pad, o.padToMultipleOf, o.dropLast, ...(mixture === undefined ? [] : [mixture]),
    ...(FORMATS[o.format].perEpoch && o.dupeFactor !== undefined ? [o.dupeFactor] : []),
  ];
  return createHash('sha256').update(JSON.stringify(decisive)).digest('hex').slice(0, 16);
}

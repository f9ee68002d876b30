/**
 * The default token budget of the formats batched by tokens. RoBERTa grows their batches so
 * that a batch holds about as many tokens as one of their count-batched counterpart (Liu et al.
 * 2019, §4.1: doc-sentences like full-sentences; sentence-pair like segment-pair): so the
 * default is `batchSize` × the counterpart's mean real row length, plus what a greedy batch
 * leaves unused, not `batchSize × seqLen`, which segment-pair rows (about 83% full on SOTU at
 * seqLen 512) do not reach.
 */
import { FORMATS, sampleIndexFor } from '../formats/index.js';
import type { FormatName } from '../formats/types.js';
import type { TokenStore } from '../store/types.js';
import type { ResolvedSamplerOptions } from './options.js';

/** The count-batched format whose batches a token-batched format matches. */
const COUNTERPART: Partial<Record<FormatName, FormatName>> = {
  'doc-sentences': 'full-sentences',
  'sentence-pair': 'segment-pair',
};

/** Documents a pair format's estimate visits at least (in as many epochs as that takes, at most {@link MAX_EPOCHS}). */
const MIN_DOCUMENTS = 2048;
const MAX_EPOCHS = 8;

interface RowMoments {
  rows: number;
  tokens: number;
  /** Sum of squared row lengths. */
  squares: number;
}

/** Moments already computed, per store object and build inputs. */
const cache = new WeakMap<TokenStore, Map<string, RowMoments>>();

/**
 * Row-length moments of `format` (real tokens, specials included) over `epochs` epochs from 0:
 * a pair format's mean varies from epoch to epoch (on SOTU, 402 to 470 tokens at seqLen 512: a
 * long document that draws BERT's short target gives hundreds of short rows), so it is pooled.
 */
function moments(store: TokenStore, o: ResolvedSamplerOptions, format: FormatName, epochs: number, cached: boolean): RowMoments {
  let byKey = cache.get(store);
  if (!byKey) cache.set(store, (byKey = new Map()));
  const key = `${format}:${o.seqLen}:${o.template}:${o.seed}:${epochs}`;
  let m = byKey.get(key);
  if (m === undefined) {
    m = { rows: 0, tokens: 0, squares: 0 };
    const prefix = cached && o.cache && store.prefix !== '' ? store.prefix : undefined;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const index = sampleIndexFor(store, { format, seqLen: o.seqLen, template: o.template, seed: o.seed, epoch }, prefix);
      for (const len of index.rowLength) {
        m.tokens += len;
        m.squares += len * len;
      }
      m.rows += index.numSamples;
    }
    byKey.set(key, m);
  }
  return m;
}

/**
 * `options` with the default token budget when none was given. For doc-sentences and
 * sentence-pair with real-token budgets:
 *
 *   tokenBudget = max(seqLen, round(batchSize × mean(counterpart) + E[L²] / (2 E[L])))
 *
 * `mean(counterpart)` is the mean row length of full-sentences (its one index) or segment-pair
 * (pooled over epochs 0 … k-1, k = min(8, ceil(2048 / documents))) at the same seqLen, template
 * and seed; `E[L²] / (2 E[L])`, over the format's own epoch-0 rows L, is the expected room a
 * greedy batch leaves when the next row does not fit (the renewal-theory age), so that the
 * tokens a batch *holds*, not its budget, match. The counterpart's indexes are built in memory
 * only (they are not this run's data; about 0.4 s for SOTU's 8 segment-pair epochs, once per
 * store object); the format's own epoch-0 index is read from or written to the cache. With `countPadding`, or when a format has no rows, it stays `batchSize × seqLen`
 * (padded segment-pair batches are about that wide).
 */
export function withDefaultBudget(store: TokenStore, options: ResolvedSamplerOptions): ResolvedSamplerOptions {
  const counterpart = COUNTERPART[options.format];
  if (options.batchBy !== 'tokens' || options.countPadding || counterpart === undefined) return options;
  const epochs = FORMATS[counterpart].perEpoch ? Math.min(MAX_EPOCHS, Math.ceil(MIN_DOCUMENTS / Math.max(1, store.numDocuments))) : 1;
  // The counterpart's indexes serve only this estimate: they are not written beside the store.
  const target = moments(store, options, counterpart, epochs, false);
  const own = moments(store, options, options.format, 1, true);
  if (target.rows === 0 || own.rows === 0) return options;
  const budget = Math.round((options.batchSize * target.tokens) / target.rows + own.squares / (2 * own.tokens));
  return { ...options, tokenBudget: Math.max(options.seqLen, budget) };
}

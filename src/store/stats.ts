/** Summary statistics of a store: counts and length histograms. */
import { forEachSentenceChunk } from './layout.js';
import type { StoreLayout } from './types.js';

/** One histogram bucket: values in `[lo, hi]`. */
export interface HistogramBucket {
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
}

/** Distribution of one length. Buckets are powers of two: [0], [1], [2,3], [4,7], ... */
export interface LengthStats {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly median: number;
  readonly p99: number;
  readonly histogram: readonly HistogramBucket[];
}

export interface StoreStats {
  readonly documents: number;
  readonly sentences: number;
  readonly tokens: number;
  /** Tokens per sentence. */
  readonly sentenceTokens: LengthStats;
  /** Tokens per document. */
  readonly documentTokens: LengthStats;
  /** Sentences per document. */
  readonly documentSentences: LengthStats;
}

/** Values below this are counted exactly in a table; the (rare) larger ones are kept in a list. */
const DIRECT = 1 << 16;

/**
 * Exact distribution statistics of non-negative integers in O(1) memory per distinct small value:
 * a count per value below {@link DIRECT}, a list of the larger ones (at most one per 65536 tokens
 * of a store, so it never grows with the store's size in practice).
 */
class LengthAccumulator {
  private readonly counts = new Float64Array(DIRECT);
  private readonly large: number[] = [];
  private n = 0;
  private sum = 0;

  add(v: number): void {
    this.n++;
    this.sum += v;
    if (v < DIRECT) this.counts[v]++;
    else this.large.push(v);
  }

  stats(): LengthStats {
    if (this.n === 0) return { min: 0, max: 0, mean: 0, median: 0, p99: 0, histogram: [] };
    const large = this.large.sort((a, b) => a - b);
    /** The value of rank r (0-based) in sorted order. */
    const at = (r: number): number => {
      let seen = 0;
      for (let v = 0; v < DIRECT; v++) {
        seen += this.counts[v];
        if (seen > r) return v;
      }
      return large[r - seen];
    };
    const buckets: number[] = [];
    const bucketOf = (v: number): number => (v === 0 ? 0 : Math.floor(Math.log2(v)) + 1);
    for (let v = 0; v < DIRECT; v++) if (this.counts[v]) buckets[bucketOf(v)] = (buckets[bucketOf(v)] ?? 0) + this.counts[v];
    for (const v of large) buckets[bucketOf(v)] = (buckets[bucketOf(v)] ?? 0) + 1;
    const histogram: HistogramBucket[] = [];
    for (let b = 0; b < buckets.length; b++) {
      histogram.push({ lo: b === 0 ? 0 : 2 ** (b - 1), hi: b === 0 ? 0 : 2 ** b - 1, count: buckets[b] ?? 0 });
    }
    const rank = (q: number): number => Math.min(this.n - 1, Math.floor(q * this.n));
    return { min: at(0), max: at(this.n - 1), mean: this.sum / this.n, median: at(rank(0.5)), p99: at(rank(0.99)), histogram };
  }
}

/**
 * Counts and length distributions of a store's layout, in one streaming pass over its sentence
 * lengths (memory does not grow with the number of sentences).
 */
export function storeStats(store: StoreLayout): StoreStats {
  const D = store.numDocuments;
  const sentenceTokens = new LengthAccumulator();
  const documentTokens = new LengthAccumulator();
  const documentSentences = new LengthAccumulator();
  for (let d = 0; d < D; d++) {
    documentSentences.add(store.documentIndex[d + 1] - store.documentIndex[d]);
    documentTokens.add(store.documentTokenStarts[d + 1] - store.documentTokenStarts[d]);
  }
  forEachSentenceChunk(store, (lengths) => {
    for (let i = 0; i < lengths.length; i++) sentenceTokens.add(lengths[i]);
  });
  return {
    documents: D,
    sentences: store.numSentences,
    tokens: store.numTokens,
    sentenceTokens: sentenceTokens.stats(),
    documentTokens: documentTokens.stats(),
    documentSentences: documentSentences.stats(),
  };
}

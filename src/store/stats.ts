/** Summary statistics of a store: counts and length histograms. */
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

function lengthStats(values: Float64Array): LengthStats {
  if (values.length === 0) return { min: 0, max: 0, mean: 0, median: 0, p99: 0, histogram: [] };
  const sorted = values.slice().sort();
  const counts: number[] = [];
  let sum = 0;
  for (const v of sorted) {
    sum += v;
    const b = v === 0 ? 0 : Math.floor(Math.log2(v)) + 1;
    counts[b] = (counts[b] ?? 0) + 1;
  }
  const histogram: HistogramBucket[] = [];
  for (let b = 0; b < counts.length; b++) {
    histogram.push({ lo: b === 0 ? 0 : 2 ** (b - 1), hi: b === 0 ? 0 : 2 ** b - 1, count: counts[b] ?? 0 });
  }
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { min: sorted[0], max: sorted[sorted.length - 1], mean: sum / sorted.length, median: at(0.5), p99: at(0.99), histogram };
}

/** Counts and length distributions of a store's layout. */
export function storeStats(store: StoreLayout): StoreStats {
  const D = store.numDocuments;
  const docTokens = new Float64Array(D);
  const docSentences = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    const a = store.documentIndex[d];
    const b = store.documentIndex[d + 1];
    docSentences[d] = b - a;
    docTokens[d] = store.sentenceStarts[b] - store.sentenceStarts[a];
  }
  return {
    documents: D,
    sentences: store.numSentences,
    tokens: store.numTokens,
    sentenceTokens: lengthStats(Float64Array.from(store.sentenceLengths)),
    documentTokens: lengthStats(docTokens),
    documentSentences: lengthStats(docSentences),
  };
}

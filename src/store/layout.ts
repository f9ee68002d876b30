/**
 * Walking a store's layout without per-sentence arrays in memory: sentence lengths in chunks,
 * one document's sentences, and the document a flat token belongs to.
 */
import type { StoreLayout } from './types.js';

/** Sentences read per step by {@link forEachSentenceChunk}: 4 MiB of lengths. */
export const SENTENCE_CHUNK = 1 << 20;

/** RangeError unless sentences `[first, first + count)` exist and `out` (if given) can hold them. */
export function checkSentenceRange(layout: Pick<StoreLayout, 'numSentences'>, first: number, count: number, out?: Int32Array): void {
  if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 0 || first + count > layout.numSentences) {
    throw new RangeError(`sentences [${first}, ${first} + ${count}) must lie within [0, ${layout.numSentences})`);
  }
  if (out !== undefined && !(out instanceof Int32Array && out.length >= count)) {
    throw new RangeError(`out must be an Int32Array of at least ${count} values`);
  }
}

/**
 * Calls `fn(lengths, first)` for consecutive chunks of the sentence lengths of `[begin, end)`
 * (default: every sentence), in order; `lengths` is reused between calls.
 */
export function forEachSentenceChunk(
  layout: StoreLayout, fn: (lengths: Int32Array, first: number) => void, begin = 0, end = layout.numSentences, chunk = SENTENCE_CHUNK,
): void {
  const buf = new Int32Array(Math.max(1, Math.min(chunk, end - begin)));
  for (let first = begin; first < end; first += chunk) {
    fn(layout.readSentenceLengths(first, Math.min(chunk, end - first), buf), first);
  }
}

/**
 * The sentences of one document at a time, for builders that visit documents (in order or at
 * random): lengths and flat token starts of document `d`'s sentences, in buffers reused from
 * call to call (valid until the next {@link load}).
 */
export class DocumentSentences {
  lengths = new Int32Array(256);
  /** `starts[k]` is the first flat token of the document's k-th sentence; `starts[count]` its end. */
  starts = new Float64Array(257);
  count = 0;
  /** Index of the document's first sentence in the store. */
  first = 0;

  constructor(private readonly layout: StoreLayout) {}

  load(d: number): this {
    const { documentIndex, documentTokenStarts } = this.layout;
    this.first = documentIndex[d];
    this.count = documentIndex[d + 1] - this.first;
    if (this.lengths.length < this.count) {
      this.lengths = new Int32Array(Math.max(this.count, 2 * this.lengths.length));
      this.starts = new Float64Array(this.lengths.length + 1);
    }
    if (this.count > 0) this.layout.readSentenceLengths(this.first, this.count, this.lengths);
    let t = documentTokenStarts[d];
    for (let k = 0; k < this.count; k++) {
      this.starts[k] = t;
      t += this.lengths[k];
    }
    this.starts[this.count] = t;
    return this;
  }
}

/**
 * The document holding flat token `t` (`0 <= t < numTokens`): the last document whose first
 * token is at or before `t`, so empty documents are skipped. O(log documents).
 */
export function documentOfToken(documentTokenStarts: Float64Array, numDocuments: number, t: number): number {
  let lo = 0;
  let hi = numDocuments; // documentTokenStarts[numDocuments] = numTokens > t
  while (lo + 1 < hi) {
    const mid = (lo + hi) >>> 1;
    if (documentTokenStarts[mid] <= t) lo = mid;
    else hi = mid;
  }
  return lo;
}

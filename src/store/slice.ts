/**
 * A view of a contiguous range of a store's documents as a store of its own, without copying
 * tokens: for held-out evaluation, or to train on part of a corpus.
 */
import { checkSentenceRange } from './layout.js';
import type { TokenStore } from './types.js';

/**
 * Documents `[first, end)` of `store`. The view reads through to `store` (close the original
 * when done; the view's `close()` does nothing). Its `prefix` is empty, so sample indexes over it
 * are not cached on disk. Throws RangeError for a range outside the store or an empty one.
 */
export function sliceDocuments(store: TokenStore, first: number, end: number): TokenStore {
  if (!Number.isInteger(first) || !Number.isInteger(end) || first < 0 || end > store.numDocuments || first >= end) {
    throw new RangeError(`document range [${first}, ${end}) must be non-empty and inside the store's ${store.numDocuments} documents`);
  }
  const s0 = store.documentIndex[first];
  const s1 = store.documentIndex[end];
  const t0 = store.documentTokenStarts[first];
  const t1 = store.documentTokenStarts[end];
  const elemSize = store.dtype === 'uint16' ? 2 : 4;
  const documentTokenStarts = Float64Array.from(store.documentTokenStarts.subarray(first, end + 1), (t) => t - t0);
  const documentIndex = Int32Array.from(store.documentIndex.subarray(first, end + 1), (s) => s - s0);
  const source = store.source?.();
  return {
    prefix: '',
    dtype: store.dtype,
    vocabSize: store.vocabSize,
    specials: store.specials,
    wordStarts: store.wordStarts,
    numDocuments: end - first,
    numSentences: s1 - s0,
    numTokens: t1 - t0,
    documentIndex,
    documentTokenStarts,
    readSentenceLengths(firstSentence, count, out) {
      checkSentenceRange(this, firstSentence, count, out);
      return store.readSentenceLengths(s0 + firstSentence, count, out);
    },
    readTokens(start, count, out, outOffset = 0) {
      if (start < 0 || count < 0 || start + count > t1 - t0) throw new RangeError(`tokens [${start}, ${start + count}) are outside the slice's ${t1 - t0}`);
      store.readTokens(t0 + start, count, out, outOffset);
    },
    readBytes(position, target) {
      if (position < 0 || position + target.length > (t1 - t0) * elemSize) {
        throw new RangeError(`bytes [${position}, ${position + target.length}) are outside the slice's ${(t1 - t0) * elemSize}`);
      }
      store.readBytes(t0 * elemSize + position, target);
    },
    ...(source ? { source: () => ({ ...source, tokenOffset: source.tokenOffset + t0, numTokens: t1 - t0 }) } : {}),
    close() {},
  };
}

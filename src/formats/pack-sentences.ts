/**
 * The greedy packer behind `full-sentences` and `doc-sentences`: two streaming passes over the
 * sentence lengths (the first counts the samples, the second fills exactly sized arrays in
 * shared memory), so the build holds nothing per sentence and its arrays are never copied.
 */
import { forEachSentenceChunk } from '../store/layout.js';
import type { StoreLayout } from '../store/types.js';
import { sharedArray } from './shared.js';
import type { FormatName, SingleSampleIndex, Template } from './types.js';

/** Receives each sample: its first flat token and its row length (specials and separators included). */
type Emit = (first: number, row: number) => void;

/**
 * Runs the packing rule over `layout`, calling `emit` per sample in store order; returns the
 * number of samples.
 *
 * - Room for store tokens is `seqLen - 2`. A sentence that does not fit in a non-empty sample
 *   closes it and starts the next one.
 * - A sentence longer than the room of an empty sample is cut into pieces of exactly the room
 *   (the last piece may be shorter and is packed like a sentence), so no token is dropped.
 * - With `crossDocuments`, the first token of a new document placed into a non-empty sample
 *   costs one extra separator (`</s>`), counted against the room. Without it, every document
 *   boundary closes the current sample.
 * - Empty sentences and empty documents contribute nothing (no sample, no separator).
 */
function pack(layout: StoreLayout, seqLen: number, crossDocuments: boolean, emit: Emit): number {
  const room = seqLen - 2;
  const { documentIndex, documentTokenStarts } = layout;
  let samples = 0;
  let used = 0; // store tokens + separators in the open sample
  let start = 0; // first flat token of the open sample
  let lastDoc = -1;
  let d = 0;
  let pos = 0; // flat token of the sentence being packed
  const closeOpen = (): void => {
    emit(start, used + 2);
    samples++;
    used = 0;
  };
  /** Moves `d` to the document holding sentence `s` and closes the sample at boundaries (doc-sentences). */
  const enter = (s: number): void => {
    while (documentIndex[d + 1] <= s) {
      d++;
      if (!crossDocuments && used > 0) closeOpen();
      pos = documentTokenStarts[d];
    }
  };
  forEachSentenceChunk(layout, (lengths, first) => {
    for (let k = 0; k < lengths.length; k++) {
      enter(first + k);
      let len = lengths[k];
      while (len > 0) {
        const sep = used > 0 && lastDoc !== d ? 1 : 0;
        if (used + sep + len <= room) {
          if (used === 0) start = pos;
          used += sep + len;
          pos += len;
          lastDoc = d;
          len = 0;
        } else if (used === 0) {
          emit(pos, seqLen);
          samples++;
          pos += room;
          len -= room;
        } else {
          closeOpen();
        }
      }
    }
  });
  if (used > 0) closeOpen();
  return samples;
}

/**
 * Pack whole sentences greedily into rows of at most `seqLen` tokens (`<s>` and `</s>` included);
 * see {@link pack} for the rule. Every token of the store is in exactly one sample, in store
 * order, so `tokenStart` has `numSamples + 1` entries and the last is the store's token count.
 * The arrays are backed by SharedArrayBuffers (workers read them without copies).
 */
export function packSentences(
  layout: StoreLayout,
  format: FormatName,
  seqLen: number,
  template: Template,
  crossDocuments: boolean,
): SingleSampleIndex {
  const numSamples = pack(layout, seqLen, crossDocuments, () => {});
  const tokenStart = sharedArray(Float64Array, numSamples + 1);
  const rowLength = sharedArray(Int32Array, numSamples);
  let i = 0;
  pack(layout, seqLen, crossDocuments, (first, row) => {
    tokenStart[i] = first;
    rowLength[i++] = row;
  });
  tokenStart[numSamples] = layout.numTokens;
  return { kind: 'single', format, seqLen, template, numSamples, tokenStart, rowLength };
}

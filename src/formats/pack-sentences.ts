/**
 * The greedy packer behind `full-sentences` and `doc-sentences`: one pass over
 * `sentenceLengths`, typed arrays only.
 */
import type { StoreLayout } from '../store/types.js';
import { GrowableFloat64, GrowableInt32 } from './growable.js';
import type { FormatName, SingleSampleIndex, Template } from './types.js';

/**
 * Pack whole sentences greedily into rows of at most `seqLen` tokens (`<s>` and `</s>` included).
 *
 * - Room for store tokens is `seqLen - 2`. A sentence that does not fit in a non-empty sample
 *   closes it and starts the next one.
 * - A sentence longer than the room of an empty sample is cut into pieces of exactly the room
 *   (the last piece may be shorter and is packed like a sentence), so no token is dropped.
 * - With `crossDocuments`, the first token of a new document placed into a non-empty sample
 *   costs one extra separator (`</s>`), counted against the room. Without it, every document
 *   boundary closes the current sample.
 * - Empty sentences and empty documents contribute nothing (no sample, no separator).
 *
 * Every token of the store is in exactly one sample, in store order.
 */
export function packSentences(
  layout: StoreLayout,
  format: FormatName,
  seqLen: number,
  template: Template,
  crossDocuments: boolean,
): SingleSampleIndex {
  const room = seqLen - 2;
  const { sentenceLengths, sentenceStarts, documentIndex, numDocuments } = layout;
  const estimate = Math.ceil(layout.numTokens / room) + (crossDocuments ? 1 : numDocuments) + 16;
  const starts = new GrowableFloat64(estimate);
  const counts = new GrowableInt32(estimate);
  const rows = new GrowableInt32(estimate);
  const firstDocs = new GrowableInt32(estimate);

  let used = 0; // store tokens + separators in the open sample
  let body = 0; // store tokens in the open sample
  let start = 0; // first flat token of the open sample
  let startDoc = 0; // its document
  let lastDoc = -1;
  /** Records a sample of `count` store tokens from flat token `first` (document `doc`), `row` tokens with specials. */
  const emit = (first: number, count: number, row: number, doc: number): void => {
    starts.push(first);
    counts.push(count);
    rows.push(row);
    firstDocs.push(doc);
  };
  const closeOpen = (): void => {
    emit(start, body, used + 2, startDoc);
    used = 0;
    body = 0;
  };

  for (let d = 0; d < numDocuments; d++) {
    const sEnd = documentIndex[d + 1];
    for (let s = documentIndex[d]; s < sEnd; s++) {
      let len = sentenceLengths[s];
      let pos = sentenceStarts[s];
      while (len > 0) {
        const sep = used > 0 && lastDoc !== d ? 1 : 0;
        if (used + sep + len <= room) {
          if (used === 0) {
            start = pos;
            startDoc = d;
          }
          used += sep + len;
          body += len;
          lastDoc = d;
          len = 0;
        } else if (used === 0) {
          emit(pos, room, seqLen, d);
          pos += room;
          len -= room;
        } else {
          closeOpen();
        }
      }
    }
    if (!crossDocuments && used > 0) closeOpen();
  }
  if (used > 0) closeOpen();
  return {
    kind: 'single',
    format,
    seqLen,
    template,
    numSamples: starts.length,
    tokenStart: starts.finish(),
    tokenCount: counts.finish(),
    rowLength: rows.finish(),
    document: firstDocs.finish(),
  };
}

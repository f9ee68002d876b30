/**
 * An in-memory {@link TokenStore}: the same contract as the file-backed store, built from
 * nested arrays. Useful for tests, small corpora and for feeding already-tokenised data.
 */
import { checkSentenceRange } from './layout.js';
import type { SpecialTokens, TokenSource, TokenStore } from './types.js';

/** RoBERTa's special ids (the built-in tokenizer's layout): `<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3, `<mask>`=50264, reserved 50260–50263. */
export const robertaSpecials: SpecialTokens = Object.freeze({
  bos: 0,
  cls: 0,
  pad: 1,
  eos: 2,
  sep: 2,
  unk: 3,
  mask: 50264,
  all: Object.freeze([0, 1, 2, 3, 50260, 50261, 50262, 50263, 50264]),
});

/** RoBERTa's vocabulary size (ids 0 … 50264). */
export const ROBERTA_VOCAB_SIZE = 50265;

export interface MemoryStoreOptions {
  /** Documents → sentences → token ids (without special tokens). Empty sentences and documents are allowed. */
  documents: readonly (readonly (readonly number[])[])[];
  /** Ids must be integers in `[0, vocabSize)`. */
  vocabSize: number;
  specials: SpecialTokens;
  /** Word-start flag per vocabulary id, if known. */
  wordStarts?: Uint8Array;
}

/**
 * Build a {@link TokenStore} over an `Int32Array` of all tokens (in shared memory).
 * The store copies the input; `prefix` is `''`, so sample indexes over it are never cached on disk.
 *
 * @throws TypeError / RangeError when an option or a token id is invalid.
 */
export function createMemoryStore(options: MemoryStoreOptions): TokenStore {
  const { documents, vocabSize, specials } = options;
  if (!Array.isArray(documents)) throw new TypeError(`options.documents must be an array, got ${typeof documents}`);
  if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > 0x7fffffff) {
    throw new RangeError(`options.vocabSize must be a positive int32, got ${vocabSize}`);
  }
  if (specials === null || typeof specials !== 'object') throw new TypeError('options.specials must be a SpecialTokens object');
  let numSentences = 0;
  let numTokens = 0;
  for (const doc of documents) {
    numSentences += doc.length;
    for (const sentence of doc) numTokens += sentence.length;
  }
  // Shared memory, so that worker threads can read the tokens themselves (see `source()`).
  const tokens = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, numTokens)), 0, numTokens);
  const sentenceLengths = new Int32Array(numSentences);
  const documentIndex = new Int32Array(documents.length + 1);
  const documentTokenStarts = new Float64Array(documents.length + 1);
  let s = 0;
  let t = 0;
  for (let d = 0; d < documents.length; d++) {
    documentIndex[d] = s;
    documentTokenStarts[d] = t;
    for (const sentence of documents[d]) {
      sentenceLengths[s] = sentence.length;
      for (const id of sentence) {
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
          throw new RangeError(`options.documents[${d}] holds token id ${id}, outside [0, ${vocabSize})`);
        }
        tokens[t++] = id;
      }
      s++;
    }
  }
  documentIndex[documents.length] = numSentences;
  documentTokenStarts[documents.length] = numTokens;

  return {
    prefix: '',
    dtype: 'int32',
    vocabSize,
    specials,
    wordStarts: options.wordStarts,
    numDocuments: documents.length,
    numSentences,
    numTokens,
    documentIndex,
    documentTokenStarts,
    readSentenceLengths(first: number, count: number, out?: Int32Array): Int32Array {
      checkSentenceRange(this, first, count, out);
      const target = out ? out.subarray(0, count) : new Int32Array(count);
      target.set(sentenceLengths.subarray(first, first + count));
      return target;
    },
    readTokens(start: number, count: number, out: Int32Array, outOffset = 0): void {
      if (start < 0 || count < 0 || start + count > numTokens) {
        throw new RangeError(`readTokens(${start}, ${count}) is outside [0, ${numTokens})`);
      }
      out.set(tokens.subarray(start, start + count), outOffset);
    },
    readBytes(position: number, target: Uint8Array): void {
      const bytes = new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength);
      if (position < 0 || position + target.length > bytes.length) {
        throw new RangeError(`readBytes(${position}, ${target.length}) is outside [0, ${bytes.length})`);
      }
      target.set(bytes.subarray(position, position + target.length));
    },
    source(): TokenSource {
      return { kind: 'shared', buffer: tokens.buffer as SharedArrayBuffer, tokenOffset: 0, numTokens, elemSize: 4 };
    },
    close(): void {},
  };
}

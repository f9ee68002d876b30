/**
 * The contract between the token store (reader/writer) and everything that reads it: formats,
 * sample index, collate, loader. Sentences are stored without special tokens.
 */

/** Special-token ids of a vocabulary. For RoBERTa, `cls` = `bos` = `<s>` and `sep` = `eos` = `</s>`. */
export interface SpecialTokens {
  readonly bos: number;
  readonly eos: number;
  readonly cls: number;
  readonly sep: number;
  readonly pad: number;
  readonly unk: number;
  readonly mask: number;
  /** Every id that is never masked nor drawn as a random replacement (the above plus reserved ids). */
  readonly all: readonly number[];
}

/**
 * The shape of a store: what the sample index is built from. Only per-document arrays live in
 * memory; sentence lengths are read on demand (from the `.idx` for a file store), so a store's
 * memory does not grow with its number of sentences or tokens.
 */
export interface StoreLayout {
  readonly numDocuments: number;
  readonly numSentences: number;
  readonly numTokens: number;
  /** First sentence of each document, `[numDocuments + 1]`; starts at 0, ends at `numSentences`. */
  readonly documentIndex: Int32Array;
  /** First token of each document in the flat token sequence, `[numDocuments + 1]`; the last entry is `numTokens`. */
  readonly documentTokenStarts: Float64Array;
  /**
   * Tokens in each of the sentences `[first, first + count)`: written into `out` (from index 0)
   * when given, else into a fresh array; returns the `count` values (a view of `out`).
   * @throws RangeError for a range outside the store or an `out` that is too short.
   */
  readSentenceLengths(first: number, count: number, out?: Int32Array): Int32Array;
}

export interface TokenStore extends StoreLayout {
  /** Path prefix: `<prefix>.bin`, `<prefix>.idx`, `<prefix>.json`. */
  readonly prefix: string;
  /** Element type of `<prefix>.bin`. */
  readonly dtype: 'uint16' | 'int32';
  readonly vocabSize: number;
  readonly specials: SpecialTokens;
  /**
   * Word-start flag per vocabulary id (1 = a piece that starts a word), for whole-word masking;
   * `undefined` when the tokenizer gives no such rule.
   */
  readonly wordStarts: Uint8Array | undefined;
  /** Copy tokens `[start, start + count)` of the flat sequence into `out` at `outOffset` (positional reads). */
  readTokens(start: number, count: number, out: Int32Array, outOffset?: number): void;
  /** Copy raw bytes of `<prefix>.bin` from `position` into `target` (fills it entirely). */
  readBytes(position: number, target: Uint8Array): void;
  /**
   * Where other threads can read this store's tokens themselves (the loader's streaming path);
   * absent for a store that can be read only through this object.
   */
  source?(): TokenSource;
  /** Release file handles. */
  close(): void;
}

/**
 * A description of a store's `.bin` that can be posted to a worker thread, which then reads
 * token ranges from it by itself: a file (positional reads) or shared memory.
 */
export type TokenSource =
  | { readonly kind: 'file'; readonly path: string; readonly tokenOffset: number; readonly numTokens: number; readonly elemSize: 2 | 4 }
  | { readonly kind: 'shared'; readonly buffer: SharedArrayBuffer; readonly tokenOffset: number; readonly numTokens: number; readonly elemSize: 2 | 4 };


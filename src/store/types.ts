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

/** The shape of a store: what the sample index is built from. */
export interface StoreLayout {
  readonly numDocuments: number;
  readonly numSentences: number;
  readonly numTokens: number;
  /** Tokens in each sentence, `[numSentences]`. */
  readonly sentenceLengths: Int32Array;
  /** First token of each sentence in the flat token sequence, `[numSentences + 1]`; the last entry is `numTokens`. */
  readonly sentenceStarts: Float64Array;
  /** First sentence of each document, `[numDocuments + 1]`; starts at 0, ends at `numSentences`. */
  readonly documentIndex: Int32Array;
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
  /** Release file handles. */
  close(): void;
}

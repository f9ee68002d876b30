/** The tokenizer contract ingestion and decoding rely on. */
import type { TokenizerIdentity } from '../store/manifest.js';
import type { SpecialTokens } from '../store/types.js';

/** A word-start table `[vocabSize]` (1 = starts a word) and the rule it was derived by. */
export interface WordStartTable {
  readonly rule: string;
  readonly description: string;
  readonly table: Uint8Array;
}

/** A loaded tokenizer. `encode` never adds special tokens; the store holds plain sentences. */
export interface Tokenizer {
  readonly identity: TokenizerIdentity;
  readonly vocabSize: number;
  readonly specials: SpecialTokens & { readonly tokens: Readonly<Record<string, number>> };
  /** Computed on first access (it decodes every id); `null` when there is no rule. */
  readonly wordStarts: WordStartTable | null;
  /** The ids of `text`, with no special tokens added; special-token text is encoded as plain text. */
  encode(text: string): number[];
  /** The text of `ids`; special ids decode to their token text (`<s>`, `<mask>`, ...). */
  decode(ids: ArrayLike<number>): string;
}

/** The name of the built-in tokenizer: GPT-2's byte-level BPE with RoBERTa's ids. */
export const BUILTIN_TOKENIZER = 'roberta-gpt2';

/** The tokenizer contract ingestion and decoding rely on. */
import type { TokenizerIdentity } from '../store/manifest.js';
import type { SpecialTokens } from '../store/types.js';
import type { SpecialTokenChoice } from './specials.js';

/** What happens to special-token text (`<mask>`, `</s>`, `[SEP]` …) found in the corpus. */
export type SpecialTextMode = 'plain' | 'match';
export const SPECIAL_TEXT_MODES: readonly SpecialTextMode[] = ['plain', 'match'];

/** How a tokenizer file is loaded (see `loadTokenizer`). */
export interface TokenizerOptions {
  /**
   * Special tokens by role, for files that lack or misname them (GPT-2's own tokenizer.json has
   * no `<s>`, `<pad>`, `<unk>` nor `<mask>`): a token text (one the vocabulary lacks is added
   * after it as a new id) or an existing id. Only for a tokenizer.json.
   */
  readonly specialTokens?: SpecialTokenChoice;
  /**
   * `plain` (default): special-token text in the corpus is encoded as ordinary text, so a
   * document can never put `<mask>` or `</s>` ids into a store. `match`: the tokenizer.json's
   * special added tokens are matched in the text, as Hugging Face's libraries do by default
   * (always the general, slower, encoding path). Only for a tokenizer.json.
   */
  readonly specialText?: SpecialTextMode;
}

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
  /** The ids of `text`, with no special tokens added; special-token text is encoded as plain text unless `specialText: 'match'`. */
  encode(text: string): number[];
  /** The text of `ids`; special ids decode to their token text (`<s>`, `<mask>`, ...). */
  decode(ids: ArrayLike<number>): string;
}

/** The name of the built-in tokenizer: GPT-2's byte-level BPE with RoBERTa's ids. */
export const BUILTIN_TOKENIZER = 'roberta-gpt2';

/** The messages between the ingest pipeline and its tokenizer workers. */
import type { TokenizerOptions } from '../tokenizer/types.js';

/** Data every worker starts with. */
export interface WorkerInit {
  /** `roberta-gpt2` or a tokenizer.json path (see `loadTokenizer`). */
  readonly tokenizer: string;
  /** The options the tokenizer was loaded with (checked on the main thread). */
  readonly tokenizerOptions: TokenizerOptions;
  /** Sentence length cap for the splitter (see `splitSentences`). */
  readonly maxSentenceChars: number;
}

/**
 * Text to tokenize, as segments back to back in `text`. Segment i ends at `segmentEnds[i]`.
 * A segment with `split[i] = 1` is a whole document the worker splits into sentences itself;
 * otherwise its sentence ends (absolute offsets in `text`) are the next ones in `ends`.
 */
export interface TokenizeTask {
  readonly kind: 'tokenize';
  readonly text: string;
  readonly segmentEnds: Int32Array;
  readonly split: Uint8Array;
  readonly ends: Int32Array;
}

/** Ask a worker for the tokenizer's word-start table (keeps that work off the main thread). */
export interface WordStartsTask {
  readonly kind: 'wordStarts';
}

export type WorkerTask = TokenizeTask | WordStartsTask;

/**
 * Ids back to back (in the store's dtype), each sentence's token count, and each segment's
 * sentence count. Buffers are moved, not copied.
 */
export interface TokenizeResult {
  readonly tokens: Uint16Array | Int32Array;
  readonly lengths: Int32Array;
  readonly segmentSentences: Int32Array;
}

export interface WordStartsResult {
  readonly rule: string;
  readonly description: string;
  readonly table: Uint8Array;
}

/** The messages between the ingest pipeline and its tokenizer workers. */

/** Data every worker starts with. */
export interface WorkerInit {
  /** `roberta-gpt2` or a tokenizer.json path (see `loadTokenizer`). */
  readonly tokenizer: string;
}

/** Sentences to tokenize: `text` holds them back to back, `ends[i]` is where sentence i ends. */
export interface TokenizeTask {
  readonly text: string;
  readonly ends: Int32Array;
}

/** Their ids back to back (in the store's dtype) and each sentence's token count; both moved, not copied. */
export interface TokenizeResult {
  readonly tokens: Uint16Array | Int32Array;
  readonly lengths: Int32Array;
}

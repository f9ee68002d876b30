/** The work of one tokenizer task, independent of threads (the worker and benchmarks call it). */
import { dtypeForVocab } from '../store/format.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { TokenizeResult, TokenizeTask } from './protocol.js';

/** Tokenize every sentence of `task` with `tokenizer`; ids come back in the store's dtype. */
export function tokenizeSentences(tokenizer: Tokenizer, task: TokenizeTask): TokenizeResult {
  const wide = dtypeForVocab(tokenizer.vocabSize) === 'int32';
  const { text, ends } = task;
  const lengths = new Int32Array(ends.length);
  let tokens: Uint16Array | Int32Array = wide ? new Int32Array(text.length >> 2) : new Uint16Array(text.length >> 2);
  let n = 0;
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const ids = tokenizer.encode(text.slice(start, ends[i]));
    start = ends[i];
    if (n + ids.length > tokens.length) {
      const bigger: Uint16Array | Int32Array = wide ? new Int32Array((n + ids.length) * 2) : new Uint16Array((n + ids.length) * 2);
      bigger.set(tokens.subarray(0, n));
      tokens = bigger;
    }
    for (let j = 0; j < ids.length; j++) tokens[n + j] = ids[j];
    n += ids.length;
    lengths[i] = ids.length;
  }
  return { tokens: tokens.slice(0, n), lengths };
}

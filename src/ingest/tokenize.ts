/** The work of one tokenizer task, independent of threads (the worker and benchmarks call it). */
import { dtypeForVocab } from '../store/format.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { TokenizeResult, TokenizeTask } from './protocol.js';
import { splitSentences } from './split.js';

/** Split (where asked) and tokenize every segment of `task`; ids come back in the store's dtype. */
export function tokenizeSentences(tokenizer: Tokenizer, task: TokenizeTask, maxSentenceChars: number): TokenizeResult {
  const wide = dtypeForVocab(tokenizer.vocabSize) === 'int32';
  const { text, segmentEnds, split } = task;
  const segmentSentences = new Int32Array(segmentEnds.length);
  let lengths = new Int32Array(task.ends.length + 64);
  let tokens: Uint16Array | Int32Array = wide ? new Int32Array(text.length >> 2) : new Uint16Array(text.length >> 2);
  let n = 0;
  let sentences = 0;
  let cursor = 0;
  let start = 0;
  const add = (end: number): void => {
    const ids = tokenizer.encode(text.slice(start, end));
    start = end;
    if (n + ids.length > tokens.length) {
      const bigger: Uint16Array | Int32Array = wide ? new Int32Array((n + ids.length) * 2) : new Uint16Array((n + ids.length) * 2);
      bigger.set(tokens.subarray(0, n));
      tokens = bigger;
    }
    for (let j = 0; j < ids.length; j++) tokens[n + j] = ids[j];
    n += ids.length;
    if (sentences === lengths.length) {
      const bigger = new Int32Array(lengths.length * 2);
      bigger.set(lengths);
      lengths = bigger;
    }
    lengths[sentences++] = ids.length;
  };
  for (let s = 0; s < segmentEnds.length; s++) {
    const before = sentences;
    const segStart = start;
    if (split[s]) {
      for (const e of splitSentences(text.slice(segStart, segmentEnds[s]), true, maxSentenceChars)) add(segStart + e);
    } else {
      while (cursor < task.ends.length && task.ends[cursor] <= segmentEnds[s]) add(task.ends[cursor++]);
    }
    start = segmentEnds[s];
    segmentSentences[s] = sentences - before;
  }
  return { tokens: tokens.slice(0, n), lengths: lengths.slice(0, sentences), segmentSentences };
}

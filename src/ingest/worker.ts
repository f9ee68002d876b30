/**
 * Piscina worker: splits and tokenizes text segments, or computes the word-start table. Throws
 * only built-in errors (their messages cross the thread boundary; the pipeline rebuilds a
 * `MaskpackError`).
 */
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { robertaGpt2Tokenizer } from '../tokenizer/gpt2.js';
import { BUILTIN_TOKENIZER } from '../tokenizer/types.js';
import type { TokenizeResult, WordStartsResult, WorkerInit, WorkerTask } from './protocol.js';
import { tokenizeSentences } from './tokenize.js';
import { warmUp } from './warm.js';

const init = workerData as WorkerInit;
// The built-in tokenizer without importing load.js: that pulls in @huggingface/tokenizers for
// tokenizer.json files, ~20-30 ms of every worker's start-up spent on a library it does not use.
const tokenizer = init.tokenizer === BUILTIN_TOKENIZER
  ? robertaGpt2Tokenizer()
  : (await import('../tokenizer/load.js')).loadTokenizer(init.tokenizer, init.tokenizerOptions);
// Load the built-in tokenizer's BPE ranks now (it loads them on first use, ~70 ms): Piscina
// starts the workers with the pool and imports this module before they take tasks, so the load
// overlaps the main thread reading and cutting the first tasks instead of delaying the first.
// Then take every branch of the task code once, so V8 optimizes it with complete type feedback
// instead of deoptimizing and recompiling it as documents reach rare branches (see warm.ts).
try {
  warmUp(tokenizer, init.maxSentenceChars);
} catch {
  // Only a speed-up: a tokenizer that cannot encode the sample text fails on real tasks, with
  // the task's error, not here.
}

/** Piscina's transferable protocol: send `value`, moving `buffers` instead of copying them. */
class Moved<T> {
  constructor(private readonly value: T, private readonly buffers: ArrayBufferLike[]) {}
  get [transferableSymbol](): ArrayBufferLike[] { return this.buffers; }
  get [valueSymbol](): T { return this.value; }
}

export default function run(task: WorkerTask): TokenizeResult | WordStartsResult | null {
  if (task.kind === 'wordStarts') {
    const ws = tokenizer.wordStarts;
    if (!ws) return null;
    const copy = { rule: ws.rule, description: ws.description, table: ws.table.slice() };
    return move(new Moved(copy, [copy.table.buffer]) as never) as unknown as WordStartsResult;
  }
  const r = tokenizeSentences(tokenizer, task, init.maxSentenceChars);
  return move(new Moved(r, [r.tokens.buffer, r.lengths.buffer, r.segmentSentences.buffer]) as never) as unknown as TokenizeResult;
}

/**
 * Piscina worker: tokenizes runs of sentences. Throws only built-in errors (their messages
 * cross the thread boundary; the pipeline rebuilds a `MaskpackError`).
 */
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { loadTokenizer } from '../tokenizer/load.js';
import type { TokenizeResult, TokenizeTask, WorkerInit } from './protocol.js';
import { tokenizeSentences } from './tokenize.js';

const tokenizer = loadTokenizer((workerData as WorkerInit).tokenizer);

/** Piscina's transferable protocol: send `value`, moving both buffers instead of copying them. */
class Moved {
  constructor(private readonly value: TokenizeResult) {}
  get [transferableSymbol](): ArrayBufferLike[] { return [this.value.tokens.buffer, this.value.lengths.buffer]; }
  get [valueSymbol](): TokenizeResult { return this.value; }
}

export default function run(task: TokenizeTask): TokenizeResult {
  return move(new Moved(tokenizeSentences(tokenizer, task)) as never) as unknown as TokenizeResult;
}

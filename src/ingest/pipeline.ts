/**
 * The ordered parallel stage: document events → tokenizer tasks on a Piscina pool → the store
 * writer, in input order.
 *
 * ```
 *  events ──► task (≈64 K chars of segments: pre-split sentence runs or whole documents to
 *             split in the worker; the document breaks stay on the main thread)
 *                │ pool.run (tasks in flight ≤ 3 × workers: bounded memory)
 *                ▼
 *  FIFO of pending results ──► oldest first ──► writer.appendTokens / endDocument
 * ```
 * Tasks are cut from the events alone, and results are written strictly in submission order,
 * so the files are byte-identical for any number of workers.
 */
import fs from 'node:fs';
import { Piscina } from 'piscina';
import { MaskpackError } from '../errors.js';
import type { StoreManifest } from '../store/manifest.js';
import { createStoreWriter } from '../store/writer.js';
import { BUILTIN_TOKENIZER, type Tokenizer, type TokenizerOptions } from '../tokenizer/types.js';
import { END, type DocEvent } from './documents.js';
import type { TokenizeResult, WordStartsResult, WorkerInit, WorkerTask } from './protocol.js';

/** Characters per worker task: small enough that task strings stay out of V8's large-object space (peak RSS). */
const TASK_CHARS = 1 << 16;

/**
 * V8 old-generation cap of each worker. A worker's live data is the tokenizer (ranks and merge
 * cache, ~30-60 MB for GPT-2) plus one task; without a cap V8 lets garbage pile up to hundreds
 * of MB per isolate before collecting, which was most of the peak RSS. A tokenizer.json gets 8 MB
 * more per MB of file, since large vocabularies are held as JS objects.
 */
function workerOldGenerationMb(spec: string): number {
  let fileMb = 0;
  try {
    if (spec !== BUILTIN_TOKENIZER) fileMb = fs.statSync(spec).size / 1e6;
  } catch {
    fileMb = 0;
  }
  return 192 + Math.ceil(8 * fileMb);
}

/** The whitespace rule recorded in every manifest this pipeline writes. */
export const WHITESPACE_RULE =
  'leading: whitespace between sentences starts the following sentence (leading/trailing whitespace of a document belongs to its first/last sentence), so the decoded sentences of a text or jsonl document concatenate to its exact text; lines format sentences are the exact lines without line breaks';

export interface PipelineOptions {
  readonly out: string;
  readonly workers: number;
  /** The tokenizer spec and options the workers load (must give `tokenizer`). */
  readonly tokenizerSpec: string;
  readonly tokenizerOptions: TokenizerOptions;
  readonly maxSentenceChars: number;
  readonly tokenizer: Tokenizer;
  /** Called after each written task with the totals so far. */
  readonly onWrite?: (documents: number, tokens: number) => void;
  readonly signal?: AbortSignal;
  /** Deterministic provenance for the manifest, computed once the events are exhausted. */
  readonly provenance: () => Record<string, unknown>;
}

interface Pending {
  readonly result: Promise<TokenizeResult>;
  /** Segment counts within the task after which a document ends. */
  readonly breaks: number[];
}

const EMPTY: TokenizeResult = { tokens: new Uint16Array(0), lengths: new Int32Array(0), segmentSentences: new Int32Array(0) };

/** Run the events through the pool into a store at `out`; returns the manifest. */
export async function runPipeline(events: AsyncIterable<DocEvent>, o: PipelineOptions): Promise<StoreManifest> {
  const t = o.tokenizer;
  const init: WorkerInit = { tokenizer: o.tokenizerSpec, tokenizerOptions: o.tokenizerOptions, maxSentenceChars: o.maxSentenceChars };
  const writer = createStoreWriter(o.out, {
    vocabSize: t.vocabSize, specials: t.specials, tokenizer: t.identity, whitespace: WHITESPACE_RULE,
  });
  let pool: Piscina<WorkerTask, TokenizeResult | WordStartsResult | null>;
  try {
    pool = new Piscina({
      filename: new URL('./worker.js', import.meta.url).href,
      minThreads: o.workers, maxThreads: o.workers, workerData: init, idleTimeout: 60_000,
      resourceLimits: { maxOldGenerationSizeMb: workerOldGenerationMb(o.tokenizerSpec) },
    });
  } catch (err) {
    writer.abort();
    throw err;
  }
  const failed = (err: Error): never => {
    throw new MaskpackError('ERR_WORKER', `tokenizer worker failed: ${err?.message ?? err}`, { cause: err });
  };
  // The word-start table (~50 ms in a worker) is asked for first, not after the last task: at
  // the end it ran on one worker while the other finished alone, or after the last task with
  // one worker; first, the pool's scheduling balances it with the tokenizing.
  const wordStarts = (pool.run({ kind: 'wordStarts' }) as Promise<WordStartsResult | null>).catch(failed);
  wordStarts.catch(() => undefined);
  const queue: Pending[] = [];
  let texts: string[] = [];
  let segmentEnds: number[] = [];
  let split: number[] = [];
  let ends: number[] = [];
  let breaks: number[] = [];
  let chars = 0;

  const submit = (): void => {
    if (segmentEnds.length === 0 && breaks.length === 0) return;
    let result: Promise<TokenizeResult>;
    if (segmentEnds.length === 0) {
      result = Promise.resolve(EMPTY);
    } else {
      const task: WorkerTask = {
        kind: 'tokenize', text: texts.join(''), segmentEnds: Int32Array.from(segmentEnds), split: Uint8Array.from(split), ends: Int32Array.from(ends),
      };
      result = (pool.run(task) as Promise<TokenizeResult>).catch(failed);
      result.catch(() => undefined);
    }
    queue.push({ result, breaks });
    texts = [];
    segmentEnds = [];
    split = [];
    ends = [];
    breaks = [];
    chars = 0;
  };

  const drain = async (): Promise<void> => {
    const p = queue.shift()!;
    const { tokens, lengths, segmentSentences } = await p.result;
    let s = 0;
    let tok = 0;
    let seg = 0;
    let sentence = 0;
    const write = (to: number): void => {
      let n = 0;
      for (let i = s; i < to; i++) n += lengths[i];
      if (to > s) writer.appendTokens(tokens.subarray(tok, tok + n), lengths.subarray(s, to));
      tok += n;
      s = to;
    };
    for (const b of p.breaks) {
      while (seg < b) sentence += segmentSentences[seg++];
      write(sentence);
      writer.endDocument();
    }
    write(lengths.length);
    o.onWrite?.(writer.numDocuments, writer.numTokens);
  };

  let destroyed: Promise<void> | undefined;
  try {
    for await (const ev of events) {
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
      if (ev === END) {
        breaks.push(segmentEnds.length);
        continue;
      }
      texts.push(ev.text);
      if (ev.ends) for (const e of ev.ends) ends.push(chars + e);
      chars += ev.text.length;
      segmentEnds.push(chars);
      split.push(ev.ends ? 0 : 1);
      if (chars >= TASK_CHARS) {
        submit();
        while (queue.length >= 3 * o.workers) await drain();
      }
    }
    submit();
    while (queue.length) await drain();
    writer.wordStarts = await wordStarts;
    // Every result is in: tear the workers down (tens of ms of isolate teardown in their own
    // threads) while this thread finishes the files, instead of after.
    destroyed = pool.destroy();
    writer.provenance = o.provenance();
    return writer.finish();
  } catch (err) {
    writer.abort();
    throw err;
  } finally {
    if (!destroyed) {
      // A failed or interrupted run: let the tasks in flight settle first (a worker's reply that
      // arrives after its pool was destroyed is an uncaught error in Piscina), at most SETTLE_MS.
      let timer: NodeJS.Timeout | undefined;
      const settled = Promise.allSettled([...queue.map((q) => q.result), wordStarts]);
      await Promise.race([settled, new Promise((resolve) => { timer = setTimeout(resolve, SETTLE_MS); })]);
      clearTimeout(timer);
    }
    await (destroyed ?? pool.destroy());
  }
}

/** How long a failed run waits for the tasks in flight before stopping the workers. */
const SETTLE_MS = 2000;

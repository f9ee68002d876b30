/** The training loop: pulls micro-batches, steps the trainer, and times data waits apart from compute. */
import { performance } from 'node:perf_hooks';
import type { Batch } from '../../batch.js';
import type { StepResult, Trainer } from './trainer.js';
import { checkInteger } from '../../validate.js';

/** The most updates one run makes (its history keeps a result per update). */
export const MAX_STEPS = 1_000_000;
/** The most micro-batches per update (they are all held in memory for the update). */
export const MAX_ACCUMULATION = 1024;

/** Options of {@link runTraining}. */
export interface RunTrainingOptions {
  /** The trainer to update. */
  readonly trainer: Trainer;
  /** Batch source, e.g. the loader; each update takes `accumulation` batches from it. */
  readonly batches: AsyncIterable<Batch> | Iterable<Batch>;
  /**
   * Trainer steps to run (fewer when `batches` runs out first), each on `accumulation` batches.
   * A step whose batches hold no masked token is skipped by the trainer (no update) and still
   * counts here, so a run always consumes `steps × accumulation` batches; see `skippedSteps`.
   */
  readonly steps: number;
  /** Micro-batches per update, default 1: effective batch = accumulation × micro-batch. */
  readonly accumulation?: number;
  /** Called after every update. */
  readonly onProgress?: (progress: TrainingProgress) => void;
  /** Stops before the next update when aborted (the promise resolves with what was done). */
  readonly signal?: AbortSignal;
}

/** One update's result with cumulative timing. */
export interface TrainingProgress extends StepResult {
  /** Steps run so far in this run, skipped ones included (1-based). */
  readonly stepsRun: number;
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
  /** Time blocked waiting for the next batch, cumulative. */
  readonly waitMs: number;
  /** Time inside `trainer.step()`, cumulative. */
  readonly computeMs: number;
  /** waitMs / (waitMs + computeMs). */
  readonly dataWaitShare: number;
  /** Real tokens per second of wall time, cumulative. */
  readonly tokensPerSecond: number;
}

/** What a {@link runTraining} call did. */
export interface TrainingSummary {
  /** Trainer steps run, skipped ones included. */
  readonly steps: number;
  /** Steps skipped because their batches held no masked token (no update was applied). */
  readonly skippedSteps: number;
  readonly elapsedMs: number;
  readonly waitMs: number;
  readonly computeMs: number;
  readonly dataWaitShare: number;
  readonly tokens: number;
  readonly tokensPerSecond: number;
  /** Every update's result, in order. */
  readonly history: readonly StepResult[];
}

/**
 * Trains for `steps` updates, pulling `accumulation` batches per update, and measures the time
 * spent waiting for data (awaiting the iterator) apart from compute (the trainer's step).
 * Rejects with TypeError / RangeError for bad options, and with whatever the source or the
 * trainer rejects with.
 */
export async function runTraining(options: RunTrainingOptions): Promise<TrainingSummary> {
  const { trainer, batches, steps, accumulation = 1, onProgress, signal } = options;
  if (typeof trainer?.step !== 'function') throw new TypeError('options.trainer must be a Trainer');
  const iterable = batches as Partial<AsyncIterable<Batch> & Iterable<Batch>> | null | undefined;
  const open = iterable?.[Symbol.asyncIterator] ?? iterable?.[Symbol.iterator];
  if (typeof open !== 'function') throw new TypeError('options.batches must be an iterable or async iterable of batches');
  checkInteger('options.steps', steps, 0, MAX_STEPS);
  checkInteger('options.accumulation', accumulation, 1, MAX_ACCUMULATION);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError('options.onProgress must be a function');

  const it = (open as (this: unknown) => AsyncIterator<Batch> | Iterator<Batch>).call(batches);
  const start = performance.now();
  let waitMs = 0;
  let computeMs = 0;
  let tokens = 0;
  const history: StepResult[] = [];
  let exhausted = false;
  try {
    while (history.length < steps && !exhausted && !signal?.aborted) {
      const group: Batch[] = [];
      const t0 = performance.now();
      while (group.length < accumulation) {
        const r = await it.next();
        if (r.done) { exhausted = true; break; }
        group.push(r.value);
      }
      const t1 = performance.now();
      waitMs += t1 - t0;
      if (group.length < accumulation) break;
      const result = await trainer.step(group);
      computeMs += performance.now() - t1;
      tokens += result.tokens;
      history.push(result);
      const elapsedMs = performance.now() - start;
      onProgress?.({
        ...result, stepsRun: history.length, elapsedMs, waitMs, computeMs,
        dataWaitShare: waitMs / (waitMs + computeMs), tokensPerSecond: (tokens * 1000) / elapsedMs,
      });
    }
  } finally {
    if (!exhausted) await it.return?.();
  }
  const elapsedMs = performance.now() - start;
  return {
    steps: history.length, skippedSteps: history.filter((h) => h.skipped).length, elapsedMs, waitMs, computeMs,
    dataWaitShare: waitMs + computeMs > 0 ? waitMs / (waitMs + computeMs) : 0,
    tokens, tokensPerSecond: elapsedMs > 0 ? (tokens * 1000) / elapsedMs : 0, history,
  };
}

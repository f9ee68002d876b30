/**
 * The end-to-end training job behind `npm start` and `maskpack train`: held-out documents set
 * aside, masked batches from the parallel loader, a small RoBERTa-style model trained with
 * ONNX Runtime, and the held-out masked-LM loss before and after.
 */
import type { Batch } from '../../batch.js';
import { MaskpackError } from '../../errors.js';
import { createLoader } from '../../loader/loader.js';
import { resolveLoaderOptions, type LoaderOptions, type PaddedDenseLoaderOptions } from '../../loader/options.js';
import { toSources, type MixtureSource } from '../../sampler/index.js';
import { resolveSamplerOptions } from '../../sampler/options.js';
import { sliceDocuments } from '../../store/slice.js';
import type { TokenStore } from '../../store/types.js';
import { checkInteger, describe, I32_MAX, optionError } from '../../validate.js';
import type { ModelConfig } from '../model/config.js';
import { loadOnnxRuntime } from './onnxruntime.js';
import { resolveTrainerOptions, type TrainerOptions } from './options.js';
import { MAX_ACCUMULATION, MAX_STEPS, runTraining, type TrainingProgress, type TrainingSummary } from './run.js';
import { createTrainer } from './trainer.js';

export interface TrainJobOptions {
  /**
   * Loader options for the training data (format, seqLen, batchSize, seed, workers, masking...).
   * The batch form stays padded with dense labels: `layout` other than `'padded'` and `labels`
   * other than `'dense'` are refused (the built-in model has no variable-length attention and
   * computes its loss from dense labels); `maxPredictions` caps the masked positions per row.
   */
  loader?: LoaderOptions;
  /** Optimizer updates. Default 200. */
  steps?: number;
  /** Micro-batches per update (gradient accumulation). Default 1. */
  accumulation?: number;
  /** Peak learning rate. Default 1e-3 (linear warm-up over 6% of the steps, then linear decay). */
  learningRate?: number;
  /** Model shape (vocabulary and positions come from the store and `seqLen`). */
  model?: Partial<Pick<ModelConfig, 'hidden' | 'layers' | 'heads' | 'ffn'>>;
  /** Documents at the end of the store kept out of training for the held-out loss. Default 8. */
  heldOutDocuments?: number;
  /** Held-out batches evaluated before and after training (fixed masks), at most {@link MAX_EVAL_BATCHES}. Default 8. */
  evalBatches?: number;
  /** ONNX Runtime threads. */
  threads?: number;
  onProgress?: (progress: TrainingProgress) => void;
  signal?: AbortSignal;
}

export interface TrainJobSummary {
  training: TrainingSummary;
  heldOut: { documents: number; batches: number; maskedTokens: number; before: { loss: number; accuracy: number }; after: { loss: number; accuracy: number } };
  trainDocuments: number;
  parameters: number;
}

/** The most held-out batches evaluated (all are held in memory, and evaluated twice). */
export const MAX_EVAL_BATCHES = 1024;

/** A train job's options with defaults filled in and validated: what {@link trainJob} runs. */
export interface ResolvedTrainJob {
  /** The training loader's options. */
  readonly loader: LoaderOptions;
  /**
   * The held-out evaluation's loader options: the training data's format, lengths, batching
   * and masking, with its own fixed seed ({@link evaluationSeed}), epoch 0, one rank, no workers.
   */
  readonly evaluation: LoaderOptions;
  readonly steps: number;
  readonly accumulation: number;
  readonly heldOutDocuments: number;
  readonly evalBatches: number;
  readonly trainer: TrainerOptions;
}

/** The seed of the held-out masks: the training seed + 1, wrapping within [0, 2^32). */
export function evaluationSeed(seed: number): number {
  return (seed + 1) % 2 ** 32;
}

/**
 * Validates every option of a train job on `store` without doing any work (no data is read,
 * no thread started): TypeError / RangeError naming the option. Only the bound of
 * `heldOutDocuments` by the store's document count is left to {@link trainJob}, so a store
 * that stands in for one not built yet (same vocabulary, specials and word starts) checks the rest.
 */
export function resolveTrainJobOptions(store: TokenStore, options: TrainJobOptions = {}): ResolvedTrainJob {
  const loader: LoaderOptions = { format: 'full-sentences', seqLen: 128, batchSize: 16, seed: 0, ...options.loader };
  const refused = (key: 'layout' | 'labels', ok: unknown) => {
    if (loader[key] === undefined || loader[key] === ok) return;
    throw optionError(RangeError, [`options.${key}`], (n) => `${n} is not supported by training (the built-in model takes padded batches with dense labels), got ${describe(loader[key])}`);
  };
  refused('layout', 'padded');
  refused('labels', 'dense');
  resolveSamplerOptions(resolveLoaderOptions(store, loader).sampler, store.prefix);
  const seed = loader.seed!;
  const evaluation: LoaderOptions = {
    ...loader, seed: evaluationSeed(seed), epoch: 0, rank: 0, worldSize: 1, workers: 0, prefetch: undefined, epochs: Infinity, resume: undefined, testFault: undefined,
  };
  const steps = checkInteger('options.steps', options.steps ?? 200, 1, MAX_STEPS);
  const trainer: TrainerOptions = {
    model: { vocabSize: store.vocabSize, maxPositions: loader.seqLen!, ...options.model },
    learningRate: options.learningRate ?? 1e-3,
    totalSteps: steps,
    seed,
    threads: options.threads,
  };
  resolveTrainerOptions(trainer);
  return {
    loader, evaluation, steps, trainer,
    accumulation: checkInteger('options.accumulation', options.accumulation ?? 1, 1, MAX_ACCUMULATION),
    heldOutDocuments: checkInteger('options.heldOutDocuments', options.heldOutDocuments ?? 8, 1, I32_MAX),
    evalBatches: checkInteger('options.evalBatches', options.evalBatches ?? 8, 1, MAX_EVAL_BATCHES),
  };
}

/**
 * Trains on `store` minus its last `heldOutDocuments` documents; see {@link TrainJobOptions}.
 * Every option is validated before any work ({@link resolveTrainJobOptions}). The held-out loss
 * is measured on batches built as the training batches are (format, lengths, masking), with
 * fixed masks from {@link evaluationSeed}. Aborting `signal` ends the training before the next
 * update; the job still evaluates and resolves (`training.steps` says how many were done).
 * A mixture of stores (`[{ store, weight }, …]`) keeps the last documents of each store out, and
 * trains and evaluates on the mixtures of the rest and of the held-out parts, with the same weights.
 * Needs the optional package onnxruntime-node: rejects with MaskpackError ERR_MISSING_PACKAGE
 * before any work when it is not installed.
 */
export async function trainJob(input: TokenStore | readonly MixtureSource[], options: TrainJobOptions = {}): Promise<TrainJobSummary> {
  const sources = toSources(input);
  const store = sources[0].store;
  const job = resolveTrainJobOptions(store, options);
  loadOnnxRuntime();
  const fewest = sources.reduce((a, s) => (s.store.numDocuments < a.store.numDocuments ? s : a));
  if (fewest.store.numDocuments < 2) {
    throw new MaskpackError('ERR_BAD_INPUT', `${fewest.store.prefix || 'the store'}: training needs at least 2 documents (one for training, one held out), the store has ${fewest.store.numDocuments}`);
  }
  const heldOutDocs = checkInteger('options.heldOutDocuments', job.heldOutDocuments, 1, fewest.store.numDocuments - 1);
  const { evalBatches, steps } = job;
  const part = (first: (s: TokenStore) => number, end: (s: TokenStore) => number): TokenStore | MixtureSource[] => {
    const parts = sources.map((s) => ({ ...s, store: sliceDocuments(s.store, first(s.store), end(s.store)) }));
    return parts.length === 1 ? parts[0].store : parts;
  };
  const split = sources.reduce((n, s) => n + s.store.numDocuments - heldOutDocs, 0);
  const train = part(() => 0, (s) => s.numDocuments - heldOutDocs);
  const heldOut = part((s) => s.numDocuments - heldOutDocs, (s) => s.numDocuments);

  const evalSet: Batch[] = [];
  const evalLoader = createLoader(heldOut, job.evaluation as PaddedDenseLoaderOptions);
  for await (const b of evalLoader) {
    evalSet.push(b);
    if (evalSet.length >= evalBatches) break;
  }

  const trainer = await createTrainer(job.trainer);
  const loader = createLoader(train, { ...job.loader as PaddedDenseLoaderOptions, epochs: Infinity });
  try {
    const before = await trainer.evaluate(evalSet);
    const training = await runTraining({ trainer, batches: loader, steps, accumulation: job.accumulation, onProgress: options.onProgress, signal: options.signal });
    const after = await trainer.evaluate(evalSet);
    let parameters = 0;
    for (const v of trainer.parameters().values()) parameters += v.length;
    return {
      training,
      heldOut: {
        documents: heldOutDocs * sources.length, batches: evalSet.length, maskedTokens: before.maskedTokens,
        before: { loss: before.loss, accuracy: before.accuracy }, after: { loss: after.loss, accuracy: after.accuracy },
      },
      trainDocuments: split,
      parameters,
    };
  } finally {
    await loader.close();
    await trainer.close();
  }
}

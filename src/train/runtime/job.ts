/**
 * The end-to-end training job behind `npm start` and `maskpack train`: held-out documents set
 * aside, masked batches from the parallel loader, a small RoBERTa-style model trained with
 * ONNX Runtime, and the held-out masked-LM loss before and after.
 */
import type { Batch } from '../../batch.js';
import { createLoader } from '../../loader/loader.js';
import type { LoaderOptions } from '../../loader/options.js';
import { sliceDocuments } from '../../store/slice.js';
import type { TokenStore } from '../../store/types.js';
import { checkInteger } from '../../validate.js';
import type { ModelConfig } from '../model/config.js';
import { loadOnnxRuntime } from './onnxruntime.js';
import { runTraining, type TrainingProgress, type TrainingSummary } from './run.js';
import { createTrainer } from './trainer.js';

export interface TrainJobOptions {
  /** Loader options for the training data (format, seqLen, batchSize, seed, workers, masking...). */
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
  /** Held-out batches evaluated before and after training (fixed masks). Default 8. */
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

/**
 * Trains on `store` minus its last `heldOutDocuments` documents; see {@link TrainJobOptions}.
 * Needs the optional package onnxruntime-node: rejects with MaskpackError ERR_MISSING_PACKAGE
 * before any work when it is not installed.
 */
export async function trainJob(store: TokenStore, options: TrainJobOptions = {}): Promise<TrainJobSummary> {
  const loaderOptions: LoaderOptions = { format: 'full-sentences', seqLen: 128, batchSize: 16, seed: 0, ...options.loader };
  const seqLen = loaderOptions.seqLen!;
  const heldOutDocs = checkInteger('options.heldOutDocuments', options.heldOutDocuments ?? 8, 1, store.numDocuments - 1);
  const evalBatches = checkInteger('options.evalBatches', options.evalBatches ?? 8, 1, 1 << 20);
  const steps = checkInteger('options.steps', options.steps ?? 200, 1, 2 ** 31);
  loadOnnxRuntime();
  const split = store.numDocuments - heldOutDocs;
  const train = sliceDocuments(store, 0, split);
  const heldOut = sliceDocuments(store, split, store.numDocuments);

  const evalSet: Batch[] = [];
  const evalLoader = createLoader(heldOut, {
    format: 'full-sentences', seqLen, batchSize: loaderOptions.batchSize, seed: (loaderOptions.seed ?? 0) + 1, workers: 0, epochs: Infinity,
  });
  for await (const b of evalLoader) {
    evalSet.push(b);
    if (evalSet.length >= evalBatches) break;
  }

  const trainer = await createTrainer({
    model: { vocabSize: store.vocabSize, maxPositions: seqLen, ...options.model },
    learningRate: options.learningRate ?? 1e-3,
    totalSteps: steps,
    seed: loaderOptions.seed ?? 0,
    threads: options.threads,
  });
  const loader = createLoader(train, { ...loaderOptions, epochs: Infinity });
  try {
    const before = await trainer.evaluate(evalSet);
    const training = await runTraining({ trainer, batches: loader, steps, accumulation: options.accumulation ?? 1, onProgress: options.onProgress, signal: options.signal });
    const after = await trainer.evaluate(evalSet);
    let parameters = 0;
    for (const v of trainer.parameters().values()) parameters += v.length;
    return {
      training,
      heldOut: {
        documents: heldOutDocs, batches: evalSet.length, maskedTokens: before.maskedTokens,
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

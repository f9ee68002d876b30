/** Options of createTrainer: defaults and validation at the public boundary. */
import { DEFAULT_ADAMW, type AdamWOptions } from '../model/adamw.js';
import { DEFAULT_MODEL_CONFIG, parameterSpecs, sizeOf, type ModelConfig } from '../model/config.js';
import type { LearningRateSchedule } from '../model/schedule.js';
import { checkInteger, checkNumber, I32_MAX, I32_MIN, optionError } from '../../validate.js';

/**
 * Upper bounds of the model's shape, so that a typo cannot ask for more memory than a machine
 * has: each dimension within what RoBERTa-large-sized encoders use (and then some), and the
 * parameter count within {@link MAX_PARAMETERS}.
 */
export const MODEL_LIMITS = { hidden: 4096, layers: 64, heads: 256, ffn: 16384, maxPositions: 65536 } as const;

/**
 * The most parameters a trainer holds: 2^28, i.e. 4 GiB of float32 weights, gradients and the
 * two AdamW moments (16 bytes per parameter), before ONNX Runtime's own copies and activations.
 */
export const MAX_PARAMETERS = 2 ** 28;

/** The most ONNX Runtime threads a trainer asks for. */
export const MAX_THREADS = 256;

/** Options of {@link createTrainer}; every field is optional. */
export interface TrainerOptions {
  /** Model shape; defaults: {@link DEFAULT_MODEL_CONFIG}. */
  readonly model?: Partial<ModelConfig>;
  /** AdamW settings; defaults: {@link DEFAULT_ADAMW} (RoBERTa's). */
  readonly optimizer?: Partial<AdamWOptions>;
  /** Peak learning rate, default 1e-3. */
  readonly learningRate?: number;
  /** Updates of linear warm-up, default ceil(6% of `totalSteps`). */
  readonly warmupSteps?: number;
  /** Update count at which the linear decay reaches 0, default 1000. */
  readonly totalSteps?: number;
  /** Seed of the weight initialization, default 0. */
  readonly seed?: number;
  /** ONNX Runtime intra-op threads; default: ONNX Runtime's choice (one per core). */
  readonly threads?: number;
}

/** Options after defaults and validation. */
export interface ResolvedTrainerOptions {
  readonly model: ModelConfig;
  readonly optimizer: AdamWOptions;
  readonly schedule: LearningRateSchedule;
  readonly seed: number;
  readonly threads: number | undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * Applies defaults and validates, naming the option and the value received.
 * @throws TypeError for a wrong type, RangeError for a bad value.
 */
export function resolveTrainerOptions(options: unknown): ResolvedTrainerOptions {
  if (options === undefined) options = {};
  if (!isObject(options)) throw optionError(TypeError, ['options'], (n) => `${n} must be an object, got ${options === null ? 'null' : typeof options}`);
  const o = options as TrainerOptions;
  if (o.model !== undefined && !isObject(o.model)) throw optionError(TypeError, ['options.model'], (n) => `${n} must be an object`);
  if (o.optimizer !== undefined && !isObject(o.optimizer)) throw optionError(TypeError, ['options.optimizer'], (n) => `${n} must be an object`);
  const m = { ...DEFAULT_MODEL_CONFIG, ...o.model };
  const L = MODEL_LIMITS;
  const model: ModelConfig = {
    vocabSize: checkInteger('options.model.vocabSize', m.vocabSize, 2, I32_MAX),
    hidden: checkInteger('options.model.hidden', m.hidden, 1, L.hidden),
    layers: checkInteger('options.model.layers', m.layers, 0, L.layers),
    heads: checkInteger('options.model.heads', m.heads, 1, L.heads),
    ffn: checkInteger('options.model.ffn', m.ffn, 1, L.ffn),
    maxPositions: checkInteger('options.model.maxPositions', m.maxPositions, 1, L.maxPositions),
    ignoreIndex: checkInteger('options.model.ignoreIndex', m.ignoreIndex, I32_MIN, I32_MAX),
  };
  if (model.hidden % model.heads !== 0) {
    throw optionError(RangeError, ['options.model.heads', 'options.model.hidden'], (h, d) => `${h} must divide ${d} (${model.hidden}), got ${model.heads}`);
  }
  if (model.ignoreIndex >= 0 && model.ignoreIndex < model.vocabSize) {
    throw optionError(RangeError, ['options.model.ignoreIndex'], (n) => `${n} must not be a token id, got ${model.ignoreIndex}`);
  }
  const parameters = parameterSpecs(model).reduce((n, spec) => n + sizeOf(spec), 0);
  if (parameters > MAX_PARAMETERS) {
    throw optionError(RangeError, ['options.model'], (n) => `${n} must have at most ${MAX_PARAMETERS.toLocaleString('en-US')} parameters ` +
      `(4 GiB of float32 weights, gradients and AdamW moments), got ${parameters.toLocaleString('en-US')} ` +
      `(vocabulary ${model.vocabSize}, width ${model.hidden}, ${model.layers} layers, ffn ${model.ffn}, ${model.maxPositions} positions)`);
  }
  const a = { ...DEFAULT_ADAMW, ...o.optimizer };
  const optimizer: AdamWOptions = {
    beta1: checkNumber('options.optimizer.beta1', a.beta1, 0, 1),
    beta2: checkNumber('options.optimizer.beta2', a.beta2, 0, 1),
    eps: checkNumber('options.optimizer.eps', a.eps, 0, 1, true),
    weightDecay: checkNumber('options.optimizer.weightDecay', a.weightDecay, 0, 1),
  };
  if (optimizer.beta1 === 1 || optimizer.beta2 === 1) {
    throw optionError(RangeError, [`options.optimizer.${optimizer.beta1 === 1 ? 'beta1' : 'beta2'}`], (n) => `${n} must be below 1, got 1`);
  }
  const totalSteps = checkInteger('options.totalSteps', o.totalSteps ?? 1000, 1, I32_MAX);
  const warmupSteps = checkInteger('options.warmupSteps', o.warmupSteps ?? Math.ceil(0.06 * totalSteps), 0, I32_MAX);
  if (warmupSteps > totalSteps) {
    throw optionError(RangeError, ['options.warmupSteps', 'options.totalSteps'], (w, t) => `${w} must be at most ${t} (${totalSteps}), got ${warmupSteps}`);
  }
  const peak = checkNumber('options.learningRate', o.learningRate ?? 1e-3, 0, 10, true);
  const seed = checkInteger('options.seed', o.seed ?? 0, 0, 0xffffffff);
  const threads = o.threads === undefined ? undefined : checkInteger('options.threads', o.threads, 1, MAX_THREADS);
  return { model, optimizer, schedule: { peak, warmupSteps, totalSteps }, seed, threads };
}

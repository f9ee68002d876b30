/** Options of createTrainer: defaults and validation at the public boundary. */
import { DEFAULT_ADAMW, type AdamWOptions } from '../model/adamw.js';
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from '../model/config.js';
import type { LearningRateSchedule } from '../model/schedule.js';

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

function integer(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number') throw new TypeError(`options.${name} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < min) throw new RangeError(`options.${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

function real(name: string, v: unknown, lo: number, hi: number, openLo = false): number {
  if (typeof v !== 'number') throw new TypeError(`options.${name} must be a number, got ${typeof v}`);
  if (!(openLo ? v > lo : v >= lo) || !(v <= hi)) {
    throw new RangeError(`options.${name} must be in ${openLo ? '(' : '['}${lo}, ${hi}], got ${v}`);
  }
  return v;
}

/**
 * Applies defaults and validates, naming the option and the value received.
 * @throws TypeError for a wrong type, RangeError for a bad value.
 */
export function resolveTrainerOptions(options: unknown): ResolvedTrainerOptions {
  if (options === undefined) options = {};
  if (!isObject(options)) throw new TypeError(`options must be an object, got ${options === null ? 'null' : typeof options}`);
  const o = options as TrainerOptions;
  if (o.model !== undefined && !isObject(o.model)) throw new TypeError('options.model must be an object');
  if (o.optimizer !== undefined && !isObject(o.optimizer)) throw new TypeError('options.optimizer must be an object');
  const m = { ...DEFAULT_MODEL_CONFIG, ...o.model };
  const model: ModelConfig = {
    vocabSize: integer('model.vocabSize', m.vocabSize, 2),
    hidden: integer('model.hidden', m.hidden, 1),
    layers: integer('model.layers', m.layers, 0),
    heads: integer('model.heads', m.heads, 1),
    ffn: integer('model.ffn', m.ffn, 1),
    maxPositions: integer('model.maxPositions', m.maxPositions, 1),
    ignoreIndex: integer('model.ignoreIndex', m.ignoreIndex, -(2 ** 31)),
  };
  if (model.hidden % model.heads !== 0) {
    throw new RangeError(`options.model.heads must divide options.model.hidden (${model.hidden}), got ${model.heads}`);
  }
  if (model.ignoreIndex >= 0 && model.ignoreIndex < model.vocabSize) {
    throw new RangeError(`options.model.ignoreIndex must not be a token id, got ${model.ignoreIndex}`);
  }
  const a = { ...DEFAULT_ADAMW, ...o.optimizer };
  const optimizer: AdamWOptions = {
    beta1: real('optimizer.beta1', a.beta1, 0, 1),
    beta2: real('optimizer.beta2', a.beta2, 0, 1),
    eps: real('optimizer.eps', a.eps, 0, 1, true),
    weightDecay: real('optimizer.weightDecay', a.weightDecay, 0, 1),
  };
  if (optimizer.beta1 === 1 || optimizer.beta2 === 1) {
    throw new RangeError(`options.optimizer betas must be below 1, got ${optimizer.beta1}, ${optimizer.beta2}`);
  }
  const totalSteps = integer('totalSteps', o.totalSteps ?? 1000, 1);
  const warmupSteps = integer('warmupSteps', o.warmupSteps ?? Math.ceil(0.06 * totalSteps), 0);
  if (warmupSteps > totalSteps) {
    throw new RangeError(`options.warmupSteps must be at most options.totalSteps (${totalSteps}), got ${warmupSteps}`);
  }
  const peak = real('learningRate', o.learningRate ?? 1e-3, 0, 10, true);
  const seed = integer('seed', o.seed ?? 0, 0);
  if (seed > 0xffffffff) throw new RangeError(`options.seed must be below 2^32, got ${seed}`);
  const threads = o.threads === undefined ? undefined : integer('threads', o.threads, 1);
  return { model, optimizer, schedule: { peak, warmupSteps, totalSteps }, seed, threads };
}

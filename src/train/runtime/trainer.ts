/** The trainer: parameters and AdamW state in host buffers, updated by ONNX Runtime sessions of the training graphs. */
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Batch } from '../../batch.js';
import { MaskpackError } from '../../errors.js';
import { inspectBatches } from './batch-check.js';
import { toFeeds } from './feeds.js';
import { buildTrainingGraphs, type TrainingGraphs } from '../model/training-graphs.js';
import { initParameters, parameterSpecs, sizeOf, type ParamSpec } from '../model/config.js';
import { resolveTrainerOptions, type ResolvedTrainerOptions, type TrainerOptions } from './options.js';
import { learningRateAt } from '../model/schedule.js';
import { loadOnnxRuntime } from './onnxruntime.js';

/** What one optimizer update did. */
export interface StepResult {
  /** 1-based update count after this step (unchanged by a skipped step). */
  readonly step: number;
  /**
   * `true` when no micro-batch had a masked token: nothing to predict, so no update was applied
   * (parameters, AdamW moments, update count and schedule unchanged) and loss and accuracy are NaN.
   */
  readonly skipped: boolean;
  /** Mean cross-entropy over the masked tokens of all micro-batches (nats); NaN when skipped. */
  readonly loss: number;
  /** Share of masked tokens whose argmax prediction is the label; NaN when skipped. */
  readonly accuracy: number;
  /** Masked tokens (label ≠ ignore index) in the effective batch. */
  readonly maskedTokens: number;
  /** Real tokens (attention_mask = 1) in the effective batch. */
  readonly tokens: number;
  /** Learning rate used for this update; 0 when skipped. */
  readonly learningRate: number;
}

/**
 * Masked-LM loss and accuracy of a model on some batches, without updating it. Batches with no
 * masked token add nothing; with none at all, loss and accuracy are NaN (a mean over no token).
 */
export interface EvalResult {
  readonly loss: number;
  readonly accuracy: number;
  readonly maskedTokens: number;
}

/** Loss, accuracy and gradients of {@link Trainer.gradients}. */
export interface GradientResult extends EvalResult {
  readonly gradients: Map<string, Float32Array>;
}

/** A model, its AdamW state and the ONNX Runtime sessions that train it. */
export interface Trainer {
  /** The resolved options (model shape, optimizer, schedule, seed). */
  readonly options: ResolvedTrainerOptions;
  /** Optimizer updates done so far. */
  readonly stepCount: number;
  /**
   * One optimizer update from one batch, or from k micro-batches whose gradients are summed
   * (each weighted by 1 / masked tokens of all k), equal to one update on their concatenation.
   * A micro-batch with no masked token contributes zero loss and gradient (it is not run); when
   * no micro-batch has one, the step is skipped (`skipped: true`, trainer unchanged).
   * Calls are queued: each starts after the previous one settled. The batches' buffers are read
   * by reference and must not change until the promise settles.
   * Rejects with MaskpackError ERR_BAD_INPUT for a malformed batch.
   */
  step(batches: Batch | readonly Batch[]): Promise<StepResult>;
  /**
   * The gradient of the mean masked-LM loss over all masked tokens of `batches`, by parameter
   * name (fresh copies), exactly as {@link Trainer.step} would apply it; parameters unchanged.
   * Batches with no masked token add nothing; with none at all, every gradient is zero.
   */
  gradients(batches: Batch | readonly Batch[]): Promise<GradientResult>;
  /** Loss and accuracy over `batches` (weighted by masked tokens), parameters unchanged. */
  evaluate(batches: Batch | readonly Batch[]): Promise<EvalResult>;
  /** A copy of every parameter tensor, by name (`embed.tokens`, `layer0.attn.q.weight`, …). */
  parameters(): Map<string, Float32Array>;
  /** Releases the sessions; later calls reject with ERR_CLOSED. */
  close(): Promise<void>;
}

/** One set of per-parameter buffers with ORT tensors wrapping them. */
class TensorSet {
  readonly tensors: Tensor[];
  constructor(specs: readonly ParamSpec[], readonly arrays: Float32Array[]) {
    const { Tensor } = loadOnnxRuntime();
    this.tensors = specs.map((s, i) => new Tensor('float32', arrays[i]!, s.dims));
  }
  static zeros(specs: readonly ParamSpec[]): TensorSet {
    return new TensorSet(specs, specs.map((s) => new Float32Array(s.dims.reduce((a, b) => a * b, 1))));
  }
  into(prefix: string, specs: readonly ParamSpec[], out: Record<string, Tensor | null>): void {
    specs.forEach((s, i) => { out[`${prefix}.${s.name}`] = this.tensors[i]!; });
  }
}

const scalar = (v: number): Tensor => new (loadOnnxRuntime().Tensor)('float32', new Float32Array([v]), []);

class OrtTrainer implements Trainer {
  stepCount = 0;
  private readonly specs: ParamSpec[];
  private readonly sessions = new Map<keyof TrainingGraphs, Promise<InferenceSession>>();
  /** Live and spare buffers: a run writes the spare set, then the two swap (no allocation). */
  private state: { p: TensorSet; m: TensorSet; v: TensorSet };
  private spare: { p: TensorSet; m: TensorSet; v: TensorSet };
  private grads?: { sum: TensorSet; scratch: TensorSet };
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(readonly options: ResolvedTrainerOptions, private readonly graphs: TrainingGraphs) {
    this.specs = parameterSpecs(options.model);
    const p = new TensorSet(this.specs, initParameters(this.specs, options.seed));
    this.state = { p, m: TensorSet.zeros(this.specs), v: TensorSet.zeros(this.specs) };
    this.spare = { p: TensorSet.zeros(this.specs), m: TensorSet.zeros(this.specs), v: TensorSet.zeros(this.specs) };
  }

  private session(name: keyof TrainingGraphs): Promise<InferenceSession> {
    let s = this.sessions.get(name);
    if (s === undefined) {
      const threads = this.options.threads;
      s = loadOnnxRuntime().InferenceSession.create(this.graphs[name], {
        graphOptimizationLevel: 'all',
        ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
      });
      this.sessions.set(name, s);
    }
    return s;
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.closed) throw new MaskpackError('ERR_CLOSED', 'the trainer was closed');
      return fn();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  step(batches: Batch | readonly Batch[]): Promise<StepResult> {
    return this.enqueue(async () => {
      const info = inspectBatches(asList(batches), this.options.model, 'step');
      const list = info.withTargets;
      if (list.length === 0) {
        return { step: this.stepCount, skipped: true, loss: NaN, accuracy: NaN, maskedTokens: 0, tokens: info.tokens, learningRate: 0 };
      }
      const t = this.stepCount + 1;
      const lr = learningRateAt(this.options.schedule, t);
      const common = { grad_scale: scalar(1 / info.maskedTokens) };
      const update = { step: scalar(t), lr: scalar(lr) };
      let nll = 0;
      let correct = 0;
      const feeds: Record<string, Tensor> = {};
      this.state.p.into('param', this.specs, feeds);
      if (list.length === 1) {
        this.state.m.into('m', this.specs, feeds);
        this.state.v.into('v', this.specs, feeds);
        const fetches: Record<string, Tensor | null> = { nll_sum: null, correct: null };
        this.spare.p.into('new.param', this.specs, fetches);
        this.spare.m.into('new.m', this.specs, fetches);
        this.spare.v.into('new.v', this.specs, fetches);
        const out = await (await this.session('step')).run({ ...feeds, ...batchFeeds(list[0]!), ...common, ...update }, fetches);
        nll = out.nll_sum!.data[0] as number;
        correct = out.correct!.data[0] as number;
      } else {
        const acc = await this.accumulate(list, feeds, common);
        nll = acc.nll;
        correct = acc.correct;
        const grads = this.grads!;
        this.state.m.into('m', this.specs, feeds);
        this.state.v.into('v', this.specs, feeds);
        grads.sum.into('grad', this.specs, feeds);
        const fetches: Record<string, Tensor | null> = {};
        this.spare.p.into('new.param', this.specs, fetches);
        this.spare.m.into('new.m', this.specs, fetches);
        this.spare.v.into('new.v', this.specs, fetches);
        await (await this.session('apply')).run({ ...feeds, ...update }, fetches);
      }
      [this.state, this.spare] = [this.spare, this.state];
      this.stepCount = t;
      return {
        step: t, skipped: false, loss: nll / info.maskedTokens, accuracy: correct / info.maskedTokens,
        maskedTokens: info.maskedTokens, tokens: info.tokens, learningRate: lr,
      };
    });
  }

  /** Runs the grad graph on each batch and sums the gradients into `this.grads.sum`. */
  private async accumulate(list: readonly Batch[], feeds: Record<string, Tensor>, common: Record<string, Tensor>) {
    const grads = (this.grads ??= { sum: TensorSet.zeros(this.specs), scratch: TensorSet.zeros(this.specs) });
    const gradSession = await this.session('grad');
    let nll = 0;
    let correct = 0;
    for (let i = 0; i < list.length; i++) {
      const fetches: Record<string, Tensor | null> = { nll_sum: null, correct: null };
      (i === 0 ? grads.sum : grads.scratch).into('grad', this.specs, fetches);
      const out = await gradSession.run({ ...feeds, ...batchFeeds(list[i]!), ...common }, fetches);
      nll += out.nll_sum!.data[0] as number;
      correct += out.correct!.data[0] as number;
      if (i > 0) addInto(grads.sum.arrays, grads.scratch.arrays);
    }
    return { nll, correct };
  }

  gradients(batches: Batch | readonly Batch[]): Promise<GradientResult> {
    return this.enqueue(async () => {
      const info = inspectBatches(asList(batches), this.options.model, 'gradients');
      if (info.withTargets.length === 0) {
        const gradients = new Map(this.specs.map((s) => [s.name, new Float32Array(sizeOf(s))]));
        return { loss: NaN, accuracy: NaN, maskedTokens: 0, gradients };
      }
      const feeds: Record<string, Tensor> = {};
      this.state.p.into('param', this.specs, feeds);
      const { nll, correct } = await this.accumulate(info.withTargets, feeds, { grad_scale: scalar(1 / info.maskedTokens) });
      const gradients = new Map(this.specs.map((s, i) => [s.name, this.grads!.sum.arrays[i]!.slice()]));
      return { loss: nll / info.maskedTokens, accuracy: correct / info.maskedTokens, maskedTokens: info.maskedTokens, gradients };
    });
  }

  evaluate(batches: Batch | readonly Batch[]): Promise<EvalResult> {
    return this.enqueue(async () => {
      const info = inspectBatches(asList(batches), this.options.model, 'evaluate');
      const session = await this.session('eval');
      const feeds: Record<string, Tensor> = {};
      this.state.p.into('param', this.specs, feeds);
      let nll = 0;
      let correct = 0;
      for (const b of info.withTargets) {
        const out = await session.run({ ...feeds, ...batchFeeds(b) });
        nll += out.nll_sum!.data[0] as number;
        correct += out.correct!.data[0] as number;
      }
      return { loss: nll / info.maskedTokens, accuracy: correct / info.maskedTokens, maskedTokens: info.maskedTokens };
    });
  }

  parameters(): Map<string, Float32Array> {
    return new Map(this.specs.map((s, i) => [s.name, this.state.p.arrays[i]!.slice()]));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of sessions) {
      const session = await s.catch(() => undefined);
      await session?.release();
    }
  }
}

const asList = (batches: Batch | readonly Batch[]): readonly Batch[] =>
  (Array.isArray(batches) ? (batches as readonly Batch[]) : [batches as Batch]);

function batchFeeds(b: Batch): Record<string, Tensor> {
  const f = toFeeds(b);
  return { input_ids: f.input_ids, attention_mask: f.attention_mask, labels: f.labels };
}

function addInto(sum: Float32Array[], add: Float32Array[]): void {
  for (let k = 0; k < sum.length; k++) {
    const s = sum[k]!;
    const a = add[k]!;
    for (let i = 0; i < s.length; i++) s[i]! += a[i]!;
  }
}

/**
 * Builds the training graphs for `options` and a trainer holding freshly initialized
 * parameters (a pure function of `options.seed`) and zero AdamW moments.
 * Needs the optional package onnxruntime-node, loaded on the first call.
 * Rejects with TypeError / RangeError naming a bad option, and with MaskpackError
 * ERR_MISSING_PACKAGE when onnxruntime-node is not installed.
 */
export async function createTrainer(options?: TrainerOptions): Promise<Trainer> {
  const resolved = resolveTrainerOptions(options);
  loadOnnxRuntime();
  return new OrtTrainer(resolved, buildTrainingGraphs(resolved.model, resolved.optimizer));
}


/** The optimizer: AdamW (decoupled weight decay) emitted as ONNX nodes, with RoBERTa's defaults. */
import type { GraphBuilder } from '../onnx/graph.js';

/** AdamW hyper-parameters. Defaults are RoBERTa's (Liu et al. 2019, Table 9). */
export interface AdamWOptions {
  /** β1, default 0.9. */
  readonly beta1: number;
  /** β2, default 0.98. */
  readonly beta2: number;
  /** ε, default 1e-6. */
  readonly eps: number;
  /** Decoupled weight decay, default 0.01; applied only to parameters with `decay: true`. */
  readonly weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWOptions = Object.freeze({ beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.01 });

/** Scalar tensors shared by every parameter's update. */
export interface AdamWScalars {
  /** Learning rate for this update (float32 scalar input). */
  readonly lr: string;
  /** 1 − β1^t and 1 − β2^t for the 1-based update count t. */
  readonly bc1: string;
  readonly bc2: string;
}

/** Emits `1 − β^t` for both betas from the float32 scalar input `step`. */
export function adamwScalars(g: GraphBuilder, opts: AdamWOptions, step: string, lr: string): AdamWScalars {
  const correction = (beta: number) => g.sub(g.f32(1), g.op('Pow', [g.f32(beta), step]));
  return { lr, bc1: correction(opts.beta1), bc2: correction(opts.beta2) };
}

/**
 * One AdamW update (Loshchilov & Hutter; PyTorch `AdamW` order):
 *   m' = β1·m + (1−β1)·g;  v' = β2·v + (1−β2)·g²
 *   p' = p − lr·( (m'/bc1) / (√(v'/bc2) + ε) + wd·p )      (wd term only when `decay`)
 * Returns the names of p', m', v'.
 */
export function adamwUpdate(
  g: GraphBuilder, opts: AdamWOptions, s: AdamWScalars,
  p: string, m: string, v: string, grad: string, decay: boolean,
): [string, string, string] {
  const m2 = g.add(g.mul(m, g.f32(opts.beta1)), g.mul(grad, g.f32(1 - opts.beta1)));
  const v2 = g.add(g.mul(v, g.f32(opts.beta2)), g.mul(g.mul(grad, grad), g.f32(1 - opts.beta2)));
  const denom = g.add(g.op('Sqrt', [g.div(v2, s.bc2)]), g.f32(opts.eps));
  let update = g.div(g.div(m2, s.bc1), denom);
  if (decay && opts.weightDecay !== 0) update = g.add(update, g.mul(p, g.f32(opts.weightDecay)));
  return [g.sub(p, g.mul(update, s.lr)), m2, v2];
}

/**
 * Differentiable ONNX building blocks (linear, attention pieces, GELU, LayerNorm, embeddings).
 * Each emits its forward nodes and records the hand-derived backward rule (in the comment
 * above it) on the tape. `y` is the output, `dy` its gradient.
 */
import { attr } from './graph.js';
import { DataType } from './writer.js';
import type { Tape } from './tape.js';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** `y = x·W + b` over the last axis. dx = dy·Wᵀ; dW = X₂ᵀ·dY₂ (rows flattened); db = Σ_rows dy. */
export function linear(t: Tape, x: string, w: string, b: string, din: number, dout: number): string {
  const g = t.g;
  const y = g.add(g.matmul(x, w), b);
  t.record([x, w, b], [y], () => {
    const dy = t.grad(y);
    if (dy === undefined) return;
    const dy2 = g.reshape(dy, [-1, dout]);
    t.accumulate(w, g.gemmTA(g.reshape(x, [-1, din]), dy2));
    t.accumulate(b, g.reduceSum(dy2, [0], false));
    if (t.needs(x)) t.accumulate(x, g.matmul(dy, g.transpose(w, [1, 0])));
  });
  return y;
}

/** `y = a + b` with equal shapes. da = db = dy. */
export function add(t: Tape, a: string, b: string): string {
  const y = t.g.add(a, b);
  t.record([a, b], [y], () => {
    const dy = t.grad(y);
    if (dy === undefined) return;
    t.accumulate(a, dy);
    t.accumulate(b, dy);
  });
  return y;
}

/** `y = x + c` with `c` a constant that broadcasts into x's shape. dx = dy. */
export function addConstant(t: Tape, x: string, c: string): string {
  const y = t.g.add(x, c);
  t.record([x], [y], () => {
    const dy = t.grad(y);
    if (dy !== undefined) t.accumulate(x, dy);
  });
  return y;
}

/** `y = x · c` for a scalar constant c. dx = dy · c. */
export function scale(t: Tape, x: string, c: number): string {
  const g = t.g;
  const k = g.f32(c);
  const y = g.mul(x, k);
  t.record([x], [y], () => {
    const dy = t.grad(y);
    if (dy !== undefined) t.accumulate(x, g.mul(dy, k));
  });
  return y;
}

/** Reshape; dx = reshape(dy, shapeBack) (`shapeBack` restores x's shape, 0 = copy a dim). */
export function reshape(t: Tape, x: string, shape: readonly number[], shapeBack: readonly number[]): string {
  const y = t.g.reshape(x, shape);
  t.record([x], [y], () => {
    const dy = t.grad(y);
    if (dy !== undefined) t.accumulate(x, t.g.reshape(dy, shapeBack));
  });
  return y;
}

/** Transpose by `perm`; dx = transpose(dy, perm⁻¹). */
export function transpose(t: Tape, x: string, perm: readonly number[]): string {
  const y = t.g.transpose(x, perm);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  t.record([x], [y], () => {
    const dy = t.grad(y);
    if (dy !== undefined) t.accumulate(x, t.g.transpose(dy, inverse));
  });
  return y;
}

/** Batched `c = a·b` on rank-4 tensors. da = dc·bᵀ; db = aᵀ·dc (transposing the last two axes). */
export function matmul4(t: Tape, a: string, b: string): string {
  const g = t.g;
  const c = g.matmul(a, b);
  const swap = [0, 1, 3, 2];
  t.record([a, b], [c], () => {
    const dc = t.grad(c);
    if (dc === undefined) return;
    if (t.needs(a)) t.accumulate(a, g.matmul(dc, g.transpose(b, swap)));
    if (t.needs(b)) t.accumulate(b, g.matmul(g.transpose(a, swap), dc));
  });
  return c;
}

/** Softmax over the last axis. dx = y ⊙ (dy − Σ_last(dy ⊙ y)). */
export function softmax(t: Tape, x: string): string {
  const g = t.g;
  const y = g.op('Softmax', [x], { axis: attr.i(-1) });
  t.record([x], [y], () => {
    const dy = t.grad(y);
    if (dy === undefined) return;
    const inner = g.reduceSum(g.mul(dy, y), [-1], true);
    t.accumulate(x, g.mul(y, g.sub(dy, inner)));
  });
  return y;
}

/** Exact GELU `x·Φ(x)`. dx = dy · (Φ(x) + x·φ(x)), φ the standard normal density. */
export function gelu(t: Tape, x: string): string {
  const g = t.g;
  const cdf = g.mul(g.add(g.op('Erf', [g.mul(x, g.f32(SQRT1_2))]), g.f32(1)), g.f32(0.5));
  const y = g.mul(x, cdf);
  t.record([x], [y], () => {
    const dy = t.grad(y);
    if (dy === undefined) return;
    const pdf = g.mul(g.op('Exp', [g.mul(g.mul(x, x), g.f32(-0.5))]), g.f32(INV_SQRT_2PI));
    t.accumulate(x, g.mul(dy, g.add(cdf, g.mul(x, pdf))));
  });
  return y;
}

/**
 * LayerNorm over the last axis (width `d`, ε 1e-5 as fairseq). With x̂ = (x − μ)·r:
 * dγ = Σ_rows dy ⊙ x̂; dβ = Σ_rows dy; dx = r · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂)), dx̂ = dy ⊙ γ.
 */
export function layerNorm(t: Tape, x: string, gamma: string, beta: string, d: number): string {
  const g = t.g;
  const [y, mean, rstd] = g.opN('LayerNormalization', [x, gamma, beta], 3, {
    axis: attr.i(-1),
    epsilon: attr.f(1e-5),
  }) as [string, string, string];
  t.record([x, gamma, beta], [y], () => {
    const dy = t.grad(y);
    if (dy === undefined) return;
    const xhat = g.mul(g.sub(x, mean), rstd);
    t.accumulate(gamma, g.reduceSum(g.reshape(g.mul(dy, xhat), [-1, d]), [0], false));
    t.accumulate(beta, g.reduceSum(g.reshape(dy, [-1, d]), [0], false));
    if (!t.needs(x)) return;
    const dxhat = g.mul(dy, gamma);
    const meanLast = (v: string) => g.op('ReduceMean', [v], { axes: attr.is([-1]), keepdims: attr.i(1) });
    const centered = g.sub(g.sub(dxhat, meanLast(dxhat)), g.mul(xhat, meanLast(g.mul(dxhat, xhat))));
    t.accumulate(x, g.mul(centered, rstd));
  });
  return y;
}

/** A float32 zero tensor of the (runtime) shape given by the int64 tensor `shape`. */
export function zerosOfShape(t: Tape, shape: string): string {
  return t.g.op('ConstantOfShape', [shape], {
    value: attr.t({ dataType: DataType.FLOAT, dims: [1], data: new Float32Array([0]) }),
  });
}

/**
 * Embedding lookup `y = E[ids]` (ids int64 `[B, L]`, E `[V, d]`). dE = scatter-add of dy at ids,
 * straight into E's gradient so far when there is one (the tied output projection's), which
 * saves a zero `[V, d]` tensor and an addition.
 */
export function embedding(t: Tape, table: string, ids: string, rows: number, d: number): string {
  const g = t.g;
  const y = g.op('Gather', [table, ids], { axis: attr.i(0) });
  t.record([table], [y], () => {
    const dy = t.grad(y);
    if (dy === undefined) return;
    const idx = g.op('Unsqueeze', [ids, g.i64([-1])]);
    const base = t.grad(table) ?? zerosOfShape(t, g.i64([rows, d]));
    const dE = g.op('ScatterND', [base, idx, dy], { reduction: { kind: 'string', value: 'add' } });
    t.replace(table, dE);
  });
  return y;
}

/**
 * `y = x + P[0:L]` (x `[B, L, d]`, P `[maxLen, d]`). dx = dy; dP = pad(Σ_B dy) to maxLen rows.
 */
export function addPositions(t: Tape, x: string, table: string, seqLen: string, maxLen: number): string {
  const g = t.g;
  const p = g.op('Slice', [table, g.i64([0]), seqLen, g.i64([0])]);
  const y = g.add(x, p);
  t.record([x, table], [y], () => {
    const dy = t.grad(y);
    if (dy === undefined) return;
    t.accumulate(x, dy);
    const rest = g.sub(g.i64([maxLen]), seqLen);
    const pads = g.op('Concat', [g.i64([0, 0]), rest, g.i64([0])], { axis: attr.i(0) });
    t.accumulate(table, g.op('Pad', [g.reduceSum(dy, [0], false), pads]));
  });
  return y;
}

/** Rows of `x` `[B, L, d]` at `idx` `[M, 2]` (distinct). dx = scatter of dy into zeros. */
export function gatherPositions(t: Tape, x: string, idx: string): string {
  const g = t.g;
  const y = g.op('GatherND', [x, idx]);
  t.record([x], [y], () => {
    const dy = t.grad(y);
    if (dy === undefined) return;
    t.accumulate(x, g.op('ScatterND', [zerosOfShape(t, g.op('Shape', [x])), idx, dy]));
  });
  return y;
}

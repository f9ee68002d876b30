/** The RoBERTa-style encoder, masked-LM head and loss emitted as ONNX nodes, with the loss-head backward. */
import { attr, type GraphBuilder } from '../onnx/graph.js';
import type { ModelConfig, ParamSpec } from './config.js';
import { DataType } from '../onnx/writer.js';
import {
  add, addConstant, addPositions, embedding, gatherPositions, gelu, layerNorm, linear, matmul4,
  reshape, scale, softmax, transpose,
} from '../onnx/ops.js';
import { Tape } from '../onnx/tape.js';

/** Additive attention bias on padded keys: large enough that exp() underflows to 0. */
const MASKED_KEY_BIAS = -1e9;

/** Names of the tensors the forward pass leaves for the caller. */
export interface ForwardResult {
  readonly tape: Tape;
  /** Σ over masked positions of −log p(label): float32 scalar. */
  readonly nllSum: string;
  /** Masked positions whose argmax equals the label: float32 scalar. */
  readonly correct: string;
  /** Number of masked positions (label ≠ ignore index): float32 scalar. */
  readonly count: string;
  /** Emits the loss-head backward seeded with `d nllSum = gradScale`; call once. */
  readonly seedBackward: (gradScale: string) => void;
}

/** Declares the batch inputs `input_ids`, `attention_mask`, `labels` (int32 `[batch, seq]`). */
export function declareBatchInputs(g: GraphBuilder): void {
  for (const name of ['input_ids', 'attention_mask', 'labels']) g.input(name, DataType.INT32, ['batch', 'seq']);
}

/** Declares `param.<name>` inputs and returns their names, tracked on the tape. */
export function declareParams(g: GraphBuilder, tape: Tape | undefined, specs: readonly ParamSpec[], prefix = 'param'): Map<string, string> {
  const names = new Map<string, string>();
  for (const s of specs) {
    const name = g.input(`${prefix}.${s.name}`, DataType.FLOAT, s.dims);
    names.set(s.name, tape ? tape.track(name) : name);
  }
  return names;
}

/**
 * Emits the encoder, the masked-LM head and the loss into `g`. The head runs only at the
 * positions whose label is not the ignore index (gathered first, as fairseq does), so the
 * tied `[V, d]` projection costs M × V, not B × L × V.
 */
export function buildForward(g: GraphBuilder, config: ModelConfig, p: Map<string, string>, tape: Tape): ForwardResult {
  const { hidden: d, heads: H, ffn: f, vocabSize: V } = config;
  const dh = d / H;
  const P = (name: string) => p.get(name)!;

  const ids = g.cast('input_ids', DataType.INT64);
  const seqLen = g.op('Slice', [g.op('Shape', ['input_ids']), g.i64([1]), g.i64([2])]);
  const keyMask = g.cast('attention_mask', DataType.FLOAT);
  const bias = g.op('Unsqueeze', [g.mul(g.sub(g.f32(1), keyMask), g.f32(MASKED_KEY_BIAS)), g.i64([1, 2])]);

  let x = embedding(tape, P('embed.tokens'), ids, V, d);
  x = addPositions(tape, x, P('embed.positions'), seqLen, config.maxPositions);
  x = layerNorm(tape, x, P('embed.ln.weight'), P('embed.ln.bias'), d);

  const splitHeads = (t: string, perm: number[]) =>
    transpose(tape, reshape(tape, t, [0, 0, H, dh], [0, 0, d]), perm);
  for (let l = 0; l < config.layers; l++) {
    const w = (n: string) => P(`layer${l}.${n}`);
    const q = splitHeads(linear(tape, x, w('attn.q.weight'), w('attn.q.bias'), d, d), [0, 2, 1, 3]);
    const kT = splitHeads(linear(tape, x, w('attn.k.weight'), w('attn.k.bias'), d, d), [0, 2, 3, 1]);
    const v = splitHeads(linear(tape, x, w('attn.v.weight'), w('attn.v.bias'), d, d), [0, 2, 1, 3]);
    const scores = addConstant(tape, scale(tape, matmul4(tape, q, kT), 1 / Math.sqrt(dh)), bias);
    const ctx = matmul4(tape, softmax(tape, scores), v);
    const merged = reshape(tape, transpose(tape, ctx, [0, 2, 1, 3]), [0, 0, d], [0, 0, H, dh]);
    const attnOut = linear(tape, merged, w('attn.o.weight'), w('attn.o.bias'), d, d);
    x = layerNorm(tape, add(tape, x, attnOut), w('attn.ln.weight'), w('attn.ln.bias'), d);
    const inner = gelu(tape, linear(tape, x, w('ffn.in.weight'), w('ffn.in.bias'), d, f));
    const ffnOut = linear(tape, inner, w('ffn.out.weight'), w('ffn.out.bias'), f, d);
    x = layerNorm(tape, add(tape, x, ffnOut), w('ffn.ln.weight'), w('ffn.ln.bias'), d);
  }

  const isMasked = g.op('Not', [g.op('Equal', ['labels', g.op('Cast', [g.f32(config.ignoreIndex)], { to: attr.i(DataType.INT32) })])]);
  const positions = g.transpose(g.op('NonZero', [isMasked]), [1, 0]);
  const labels = g.cast(g.op('GatherND', ['labels', positions]), DataType.INT64);

  let h = gatherPositions(tape, x, positions);
  h = gelu(tape, linear(tape, h, P('lm.dense.weight'), P('lm.dense.bias'), d, d));
  h = layerNorm(tape, h, P('lm.ln.weight'), P('lm.ln.bias'), d);
  const table = P('embed.tokens');
  const outBias = P('lm.bias');
  const logits = g.op('Gemm', [h, table, outBias], { transB: attr.i(1) });

  const logProbs = g.op('LogSoftmax', [logits], { axis: attr.i(1) });
  const picked = g.op('GatherElements', [logProbs, g.op('Unsqueeze', [labels, g.i64([1])])], { axis: attr.i(1) });
  const nllSum = g.op('Neg', [g.reduceSum(picked, [0, 1], false)]);
  const hits = g.cast(g.op('Equal', [g.op('ArgMax', [logits], { axis: attr.i(1), keepdims: attr.i(0) }), labels]), DataType.FLOAT);
  const correct = g.reduceSum(hits, [0], false);
  const count = g.cast(g.op('Size', [labels]), DataType.FLOAT);

  // d nllSum / d logits = softmax(logits) − onehot(label), built by overwriting the label
  // column of the softmax (no one-hot [M, V] tensor); grad_scale is applied on the [M, d] and
  // [V] sides. logits = h·Eᵀ + b gives dE = dLogitsᵀ·h, db = Σ_rows dLogits, dh = dLogits·E.
  const seedBackward = (gradScale: string) => {
    const probs = g.op('Exp', [logProbs]);
    const labelColumn = g.op('Unsqueeze', [labels, g.i64([1])]);
    const labelProbs = g.op('GatherElements', [probs, labelColumn], { axis: attr.i(1) });
    const dLogits = g.op('ScatterElements', [probs, labelColumn, g.sub(labelProbs, g.f32(1))], { axis: attr.i(1) });
    tape.accumulate(table, g.gemmTA(dLogits, g.mul(h, gradScale)));
    tape.accumulate(outBias, g.mul(g.reduceSum(dLogits, [0], false), gradScale));
    tape.backward(h, g.mul(g.matmul(dLogits, table), gradScale));
  };
  return { tape, nllSum, correct, count, seedBackward };
}

/** The four ONNX graphs a trainer runs (eval, grad, apply, step), built from the model and the optimizer. */
import { adamwScalars, adamwUpdate, type AdamWOptions } from './adamw.js';
import { buildForward, declareBatchInputs, declareParams } from './forward.js';
import { GraphBuilder } from '../onnx/graph.js';
import { parameterSpecs, type ModelConfig } from './config.js';
import { DataType } from '../onnx/writer.js';
import { Tape } from '../onnx/tape.js';

/**
 * The four ONNX graphs a trainer runs. Tensor names (inputs → outputs):
 *
 *   eval   param.*, input_ids, attention_mask, labels          → nll_sum, correct, count
 *   grad   … + grad_scale                                       → nll_sum, correct, count, grad.*
 *   apply  param.*, m.*, v.*, grad.*, step, lr                  → new.param.*, new.m.*, new.v.*
 *   step   param.*, m.*, v.*, batch, grad_scale, step, lr       → nll_sum, correct, count, new.*
 *
 * `grad.*` is the gradient of `grad_scale · nll_sum`; the trainer feeds
 * grad_scale = 1 / (masked tokens in the whole accumulated batch), so summing the micro-batch
 * gradients on the host gives exactly the gradient of the mean loss of the big batch.
 * `step` fuses grad and apply for one micro-batch per update (no host round trip).
 */
export interface TrainingGraphs {
  readonly eval: Uint8Array;
  readonly grad: Uint8Array;
  readonly apply: Uint8Array;
  readonly step: Uint8Array;
}

const SCALAR: readonly number[] = [];

function declareMetrics(g: GraphBuilder, f: { nllSum: string; correct: string; count: string }): void {
  g.output('nll_sum', f.nllSum, DataType.FLOAT, SCALAR);
  g.output('correct', f.correct, DataType.FLOAT, SCALAR);
  g.output('count', f.count, DataType.FLOAT, SCALAR);
}

/** Forward + backward into `g`; returns gradient tensor names by parameter name. */
function emitGradients(g: GraphBuilder, config: ModelConfig, p: Map<string, string>, tape: Tape): Map<string, string> {
  const gradScale = g.input('grad_scale', DataType.FLOAT, SCALAR);
  const f = buildForward(g, config, p, tape);
  declareMetrics(g, f);
  f.seedBackward(gradScale);
  const grads = new Map<string, string>();
  for (const [name, tensor] of p) {
    const grad = tape.grad(tensor);
    if (grad === undefined) throw new Error(`no gradient reaches parameter ${name}`);
    grads.set(name, grad);
  }
  return grads;
}

function emitUpdate(g: GraphBuilder, config: ModelConfig, opts: AdamWOptions, p: Map<string, string>, grads: Map<string, string>): void {
  const specs = parameterSpecs(config);
  const m = declareParams(g, undefined, specs, 'm');
  const v = declareParams(g, undefined, specs, 'v');
  const s = adamwScalars(g, opts, g.input('step', DataType.FLOAT, SCALAR), g.input('lr', DataType.FLOAT, SCALAR));
  for (const spec of specs) {
    const [p2, m2, v2] = adamwUpdate(g, opts, s, p.get(spec.name)!, m.get(spec.name)!, v.get(spec.name)!, grads.get(spec.name)!, spec.decay);
    g.output(`new.param.${spec.name}`, p2, DataType.FLOAT, spec.dims);
    g.output(`new.m.${spec.name}`, m2, DataType.FLOAT, spec.dims);
    g.output(`new.v.${spec.name}`, v2, DataType.FLOAT, spec.dims);
  }
}

/** Builds all four graphs for a model and optimizer. */
export function buildTrainingGraphs(config: ModelConfig, opts: AdamWOptions): TrainingGraphs {
  const specs = parameterSpecs(config);

  const evalG = new GraphBuilder('maskpack_eval');
  const evalTape = new Tape(evalG);
  const evalParams = declareParams(evalG, evalTape, specs);
  declareBatchInputs(evalG);
  declareMetrics(evalG, buildForward(evalG, config, evalParams, evalTape));

  const gradG = new GraphBuilder('maskpack_grad');
  const gradTape = new Tape(gradG);
  const gradParams = declareParams(gradG, gradTape, specs);
  declareBatchInputs(gradG);
  const grads = emitGradients(gradG, config, gradParams, gradTape);
  for (const spec of specs) gradG.output(`grad.${spec.name}`, grads.get(spec.name)!, DataType.FLOAT, spec.dims);

  const applyG = new GraphBuilder('maskpack_apply');
  const applyParams = declareParams(applyG, undefined, specs);
  emitUpdate(applyG, config, opts, applyParams, declareParams(applyG, undefined, specs, 'grad'));

  const stepG = new GraphBuilder('maskpack_step');
  const stepTape = new Tape(stepG);
  const stepParams = declareParams(stepG, stepTape, specs);
  declareBatchInputs(stepG);
  emitUpdate(stepG, config, opts, stepParams, emitGradients(stepG, config, stepParams, stepTape));

  return { eval: evalG.encode(), grad: gradG.encode(), apply: applyG.encode(), step: stepG.encode() };
}

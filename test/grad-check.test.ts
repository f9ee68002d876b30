import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { buildTrainingGraphs, DEFAULT_ADAMW, parameterSpecs, type ModelConfig } from 'maskpack';
import { stream, structuredBatch } from './synthetic.js';

/*
 * Finite-difference check of the hand-derived backward pass, for every parameter tensor of a
 * tiny 2-layer model, through the same ONNX graphs the trainer runs (float32 on ORT CPU).
 *
 * Numeric derivative: central differences with Richardson extrapolation,
 *   D(h) = (f(p + h·u) − f(p − h·u)) / 2h,   D* = (4·D(h/2) − D(h)) / 3,   h = 2e-2,
 * whose truncation error is O(h⁴) ≈ 1e-7 relative for this model (plain D(1e-2) was off by
 * up to 7e-3 on the embeddings). Round-off: f (mean loss ≈ 2.4) is float32, so each
 * evaluation carries ~1e-7 · 2.4 · (a few dozen accumulated ops) ≈ 1e-6 of noise, which
 * the 2h = 1e-2 denominator turns into ≤ ~1e-4 absolute. Hence the tolerance
 *   |analytic − numeric| ≤ 1e-4 + 1e-2 · max(|analytic|, |numeric|).
 * A wrong rule (a missing term, a transposed factor, a wrong scale) shifts these derivatives
 * by 10%–100% of their size, which is 1e-3 to 1e-1 here, far outside the band.
 *
 * Each tensor is checked along one random unit direction (every element contributes) and at
 * its three largest-gradient coordinates (a wrong element of a large tensor shows there).
 * Parameters are drawn at std 0.5 (not the 0.02 init) so gradients reach every layer at a
 * size float32 resolves; LayerNorm scales are 1 ± 0.3.
 */
const config: ModelConfig = { vocabSize: 11, hidden: 8, layers: 2, heads: 2, ffn: 16, maxPositions: 7, ignoreIndex: -100 };
const H = 2e-2;
const ATOL = 1e-4;
const RTOL = 1e-2;

describe('gradient check (finite differences, every parameter tensor)', () => {
  const specs = parameterSpecs(config);
  const rand = stream(7);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const params = specs.map((s) => Float32Array.from({ length: s.dims.reduce((a, b) => a * b, 1) },
    () => (s.init === 'ones' ? 1 + 0.3 * gauss() : 0.5 * gauss())));
  const batch = structuredBatch(2, 6, config.vocabSize, 3, 0.3);
  const batchFeeds = {
    input_ids: new Tensor('int32', batch.inputIds, [2, 6]),
    attention_mask: new Tensor('int32', batch.attentionMask, [2, 6]),
    labels: new Tensor('int32', batch.labels, [2, 6]),
  };
  const paramFeeds = () => Object.fromEntries(specs.map((s, i) => [`param.${s.name}`, new Tensor('float32', params[i]!, s.dims)]));
  let evalSession: InferenceSession;
  let grads: Map<string, Float32Array>;
  let loss: (p: Float32Array, u: Float32Array, h: number) => Promise<number>;

  before(async () => {
    const graphs = buildTrainingGraphs(config, DEFAULT_ADAMW);
    evalSession = await InferenceSession.create(graphs.eval);
    const gradSession = await InferenceSession.create(graphs.grad);
    const count = batch.labels.filter((v: number) => v !== -100).length;
    const out = await gradSession.run({ ...paramFeeds(), ...batchFeeds, grad_scale: new Tensor('float32', new Float32Array([1 / count]), []) });
    grads = new Map(specs.map((s) => [s.name, out[`grad.${s.name}`]!.data as Float32Array]));
    loss = async (p, u, h) => {
      const orig = p.slice();
      for (let i = 0; i < p.length; i++) p[i] = orig[i]! + h * u[i]!;
      const r = await evalSession.run({ ...paramFeeds(), ...batchFeeds });
      p.set(orig);
      return (r.nll_sum!.data[0] as number) / (r.count!.data[0] as number);
    };
  });

  const numeric = async (p: Float32Array, u: Float32Array) => {
    const d = async (h: number) => ((await loss(p, u, h)) - (await loss(p, u, -h))) / (2 * h);
    return (4 * (await d(H / 2)) - (await d(H))) / 3;
  };
  const close = (name: string, analytic: number, num: number) => {
    const tol = ATOL + RTOL * Math.max(Math.abs(analytic), Math.abs(num));
    assert.ok(Math.abs(analytic - num) <= tol, `${name}: analytic ${analytic} vs numeric ${num} (tolerance ${tol})`);
  };

  for (const [k, spec] of specs.entries()) {
    it(spec.name, async () => {
      const p = params[k]!;
      const g = grads.get(spec.name)!;
      assert.equal(g.length, p.length);
      assert.ok(g.every(Number.isFinite), 'gradient is finite');
      const u = Float32Array.from(p, () => gauss());
      const norm = Math.hypot(...u);
      u.forEach((v, i) => { u[i] = v / norm; });
      close(`${spec.name} along a random direction`, g.reduce((s, v, i) => s + v * u[i]!, 0), await numeric(p, u));
      const top = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!)).slice(0, 3);
      for (const i of top) {
        const e = new Float32Array(p.length);
        e[i] = 1;
        close(`${spec.name}[${i}]`, g[i]!, await numeric(p, e));
      }
    });
  }
});

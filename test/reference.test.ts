import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { buildTrainingGraphs, DEFAULT_ADAMW, parameterSpecs, type Batch, type ModelConfig } from 'maskpack';
import { stream, structuredBatch } from './synthetic.js';

/*
 * The ONNX forward pass against a plain TypeScript float64 forward of the same model written
 * from the description in docs/train.md (post-LN encoder, masked-key bias, exact GELU, LM head
 * at masked positions only, tied projection). Tolerance 1e-4 relative on the loss: ORT runs in
 * float32 (≈1e-7 per op over a few hundred ops) and erf below is accurate to 1.5e-7.
 */
const config: ModelConfig = { vocabSize: 17, hidden: 12, layers: 2, heads: 3, ffn: 20, maxPositions: 9, ignoreIndex: -100 };

/** Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

type Vec = number[];
function linear(x: Vec, w: Float32Array, b: Float32Array, dout: number): Vec {
  return Array.from({ length: dout }, (_, j) => x.reduce((s, xi, i) => s + xi * w[i * dout + j]!, b[j]!));
}
function layerNorm(x: Vec, g: Float32Array, b: Float32Array): Vec {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-5)) * g[i]! + b[i]!);
}

function referenceLoss(c: ModelConfig, p: Map<string, Float32Array>, batch: Batch): { loss: number; correct: number; count: number } {
  const [B, L] = batch.shape;
  const d = c.hidden;
  const dh = d / c.heads;
  const P = (n: string) => p.get(n)!;
  let nll = 0;
  let correct = 0;
  let count = 0;
  for (let b = 0; b < B; b++) {
    let x: Vec[] = [];
    for (let l = 0; l < L; l++) {
      const id = batch.inputIds[b * L + l]!;
      const e = Array.from({ length: d }, (_, j) => P('embed.tokens')[id * d + j]! + P('embed.positions')[l * d + j]!);
      x.push(layerNorm(e, P('embed.ln.weight'), P('embed.ln.bias')));
    }
    for (let layer = 0; layer < c.layers; layer++) {
      const w = (n: string) => P(`layer${layer}.${n}`);
      const q = x.map((r) => linear(r, w('attn.q.weight'), w('attn.q.bias'), d));
      const k = x.map((r) => linear(r, w('attn.k.weight'), w('attn.k.bias'), d));
      const v = x.map((r) => linear(r, w('attn.v.weight'), w('attn.v.bias'), d));
      const ctx = x.map(() => new Array<number>(d).fill(0));
      for (let h = 0; h < c.heads; h++) {
        for (let i = 0; i < L; i++) {
          const s = Array.from({ length: L }, (_, j) => {
            let dot = 0;
            for (let e = h * dh; e < (h + 1) * dh; e++) dot += q[i]![e]! * k[j]![e]!;
            return dot / Math.sqrt(dh) + (batch.attentionMask[b * L + j] ? 0 : -1e9);
          });
          const max = Math.max(...s);
          const ex = s.map((z) => Math.exp(z - max));
          const sum = ex.reduce((a, z) => a + z, 0);
          for (let j = 0; j < L; j++) for (let e = h * dh; e < (h + 1) * dh; e++) ctx[i]![e]! += (ex[j]! / sum) * v[j]![e]!;
        }
      }
      x = x.map((r, i) => {
        const o = linear(ctx[i]!, w('attn.o.weight'), w('attn.o.bias'), d);
        const h1 = layerNorm(r.map((z, j) => z + o[j]!), w('attn.ln.weight'), w('attn.ln.bias'));
        const f = linear(linear(h1, w('ffn.in.weight'), w('ffn.in.bias'), c.ffn).map(gelu), w('ffn.out.weight'), w('ffn.out.bias'), d);
        return layerNorm(h1.map((z, j) => z + f[j]!), w('ffn.ln.weight'), w('ffn.ln.bias'));
      });
    }
    for (let l = 0; l < L; l++) {
      const label = batch.labels[b * L + l]!;
      if (label === c.ignoreIndex) continue;
      const t = layerNorm(linear(x[l]!, P('lm.dense.weight'), P('lm.dense.bias'), d).map(gelu), P('lm.ln.weight'), P('lm.ln.bias'));
      const logits = Array.from({ length: c.vocabSize }, (_, vId) =>
        t.reduce((s, z, j) => s + z * P('embed.tokens')[vId * d + j]!, P('lm.bias')[vId]!));
      const max = Math.max(...logits);
      const lse = max + Math.log(logits.reduce((s, z) => s + Math.exp(z - max), 0));
      nll += lse - logits[label]!;
      correct += logits.indexOf(max) === label ? 1 : 0;
      count++;
    }
  }
  return { loss: nll / count, correct, count };
}

describe('forward pass', () => {
  it('matches a plain TypeScript float64 reference (loss, accuracy, masked count)', async () => {
    const specs = parameterSpecs(config);
    const rand = stream(99);
    const params = new Map(specs.map((s) => [s.name, Float32Array.from({ length: s.dims.reduce((a, b) => a * b, 1) },
      () => (s.init === 'ones' ? 1 : 0) + (rand() - 0.5) * 1.2)]));
    const session = await InferenceSession.create(buildTrainingGraphs(config, DEFAULT_ADAMW).eval);
    for (const seed of [1, 2, 3]) {
      const batch = structuredBatch(3, 8, config.vocabSize, seed, 0.4);
      const feeds: Record<string, Tensor> = {
        input_ids: new Tensor('int32', batch.inputIds, [3, 8]),
        attention_mask: new Tensor('int32', batch.attentionMask, [3, 8]),
        labels: new Tensor('int32', batch.labels, [3, 8]),
      };
      for (const s of specs) feeds[`param.${s.name}`] = new Tensor('float32', params.get(s.name)!, s.dims);
      const out = await session.run(feeds);
      const ref = referenceLoss(config, params, batch);
      const count = out.count!.data[0] as number;
      const loss = (out.nll_sum!.data[0] as number) / count;
      assert.equal(count, ref.count);
      assert.equal(out.correct!.data[0], ref.correct);
      assert.ok(Math.abs(loss - ref.loss) <= 1e-4 * ref.loss, `seed ${seed}: ORT ${loss} vs reference ${ref.loss}`);
    }
  });
});

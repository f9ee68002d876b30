/** The encoder's shape (ModelConfig), its parameter tensors in a fixed order, and their seeded initialization. */
import { mix32, positionHash, streamKey } from '../../rng.js';

/**
 * The shape of the RoBERTa-style encoder trained by maskpack's ONNX training graphs.
 * Post-LayerNorm (as BERT and RoBERTa): `x = LN(x + Attn(x)); x = LN(x + FFN(x))`.
 */
export interface ModelConfig {
  /** Vocabulary size; RoBERTa's byte-level BPE has 50265. */
  readonly vocabSize: number;
  /** Model width d. */
  readonly hidden: number;
  /** Number of encoder layers. */
  readonly layers: number;
  /** Attention heads; must divide `hidden`. */
  readonly heads: number;
  /** Feed-forward width (4 × hidden in RoBERTa). */
  readonly ffn: number;
  /** Rows of the learned position table: the longest sequence the model accepts. */
  readonly maxPositions: number;
  /** Label value of positions that carry no loss (fairseq / Hugging Face: -100). */
  readonly ignoreIndex: number;
}

/** The small default model: learns visibly in minutes on 2 CPU cores. */
export const DEFAULT_MODEL_CONFIG: ModelConfig = Object.freeze({
  vocabSize: 50265,
  hidden: 128,
  layers: 2,
  heads: 4,
  ffn: 512,
  maxPositions: 128,
  ignoreIndex: -100,
});

/** How a parameter tensor starts: N(0, 0.02²) as BERT/RoBERTa, ones, or zeros. */
export type ParamInit = 'normal' | 'ones' | 'zeros';

/** One parameter tensor of the model. */
export interface ParamSpec {
  /** Stable name, e.g. `layer0.attn.q.weight`; graph inputs are `param.<name>`. */
  readonly name: string;
  readonly dims: readonly number[];
  readonly init: ParamInit;
  /** Whether AdamW's weight decay applies (matrices and embeddings; not biases or LayerNorm). */
  readonly decay: boolean;
}

/** Every parameter tensor of `config`, in a fixed order. */
export function parameterSpecs(config: ModelConfig): ParamSpec[] {
  const { vocabSize: V, hidden: d, ffn: f, maxPositions: P } = config;
  const specs: ParamSpec[] = [];
  const matrix = (name: string, dims: number[]) => specs.push({ name, dims, init: 'normal', decay: true });
  const bias = (name: string, n: number) => specs.push({ name, dims: [n], init: 'zeros', decay: false });
  const norm = (name: string) => {
    specs.push({ name: `${name}.weight`, dims: [d], init: 'ones', decay: false });
    bias(`${name}.bias`, d);
  };
  matrix('embed.tokens', [V, d]);
  matrix('embed.positions', [P, d]);
  norm('embed.ln');
  for (let l = 0; l < config.layers; l++) {
    for (const p of ['q', 'k', 'v', 'o']) {
      matrix(`layer${l}.attn.${p}.weight`, [d, d]);
      bias(`layer${l}.attn.${p}.bias`, d);
    }
    norm(`layer${l}.attn.ln`);
    matrix(`layer${l}.ffn.in.weight`, [d, f]);
    bias(`layer${l}.ffn.in.bias`, f);
    matrix(`layer${l}.ffn.out.weight`, [f, d]);
    bias(`layer${l}.ffn.out.bias`, d);
    norm(`layer${l}.ffn.ln`);
  }
  matrix('lm.dense.weight', [d, d]);
  bias('lm.dense.bias', d);
  norm('lm.ln');
  bias('lm.bias', V);
  return specs;
}

/** Element count of a parameter. */
export function sizeOf(spec: ParamSpec): number {
  return spec.dims.reduce((a, b) => a * b, 1);
}

/**
 * Fresh parameter values, a pure function of `seed` and the spec order: parameter `k`,
 * element `i` draws N(0, 0.02²) by Box–Muller from `positionHash(streamKey(seed, 0, k), 2i)`
 * and `… 2i + 1`.
 */
export function initParameters(specs: readonly ParamSpec[], seed: number): Float32Array[] {
  return specs.map((spec, k) => {
    const out = new Float32Array(sizeOf(spec));
    if (spec.init === 'ones') out.fill(1);
    if (spec.init !== 'normal') return out;
    const key = streamKey(seed >>> 0, 0, mix32(k));
    for (let i = 0; i < out.length; i++) {
      const u1 = (positionHash(key, 2 * i) + 1) / 4294967297;
      const u2 = positionHash(key, 2 * i + 1) / 4294967296;
      out[i] = 0.02 * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
    return out;
  });
}

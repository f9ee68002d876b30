/**
 * Weighted mixtures of stores: the weights as used (explicit, or temperature-scaled as in XLM-R)
 * and Megatron-LM's `BlendedDataset` rule for which source each position of an epoch draws from.
 */
import { describe } from '../validate.js';

/** One source of a mixture as given: its weight (optional) and its size. */
export interface WeightInput {
  /** The weight as given, or undefined. */
  readonly weight: number | undefined;
  /** Tokens in the store (the size temperature sampling scales). */
  readonly tokens: number;
  /** Samples in the source's first epoch (its natural share when no weight is given). */
  readonly samples: number;
}

/**
 * The normalised weights of a mixture:
 * - no weights and no `alpha`: proportional to each source's samples (as if concatenated);
 * - weights only: proportional to the weights;
 * - `alpha` (XLM-R's temperature sampling, α = 0.3 there): proportional to
 *   `weight × tokens^alpha`, the weight defaulting to 1.
 * @throws TypeError / RangeError naming `options.sources[i].weight` or `options.mixAlpha`.
 */
export function mixtureWeights(inputs: readonly WeightInput[], alpha: number | undefined): number[] {
  const given = inputs.filter((x) => x.weight !== undefined).length;
  if (given > 0 && given < inputs.length && alpha === undefined) {
    const missing = inputs.findIndex((x) => x.weight === undefined);
    throw new TypeError(`sources[${missing}].weight must be given when another source has a weight (or set options.mixAlpha), got undefined`);
  }
  inputs.forEach((x, i) => {
    if (x.weight !== undefined && !(typeof x.weight === 'number' && Number.isFinite(x.weight) && x.weight >= 0)) {
      throw new RangeError(`sources[${i}].weight must be a finite number >= 0, got ${describe(x.weight)}`);
    }
  });
  const raw = inputs.map((x) => {
    if (alpha !== undefined) return (x.weight ?? 1) * x.tokens ** alpha;
    return given > 0 ? x.weight! : x.samples;
  });
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new RangeError(`the sources' weights must not all be 0, got ${describe(raw)}`);
  return raw.map((w) => w / total);
}

/** Which source each position of a mixture epoch draws from, and how many draws each gets. */
export interface Blend {
  /** `[N]`: the source of position p. */
  readonly source: Uint8Array;
  /** `[N]`: the number of earlier positions with the same source (the draw's ordinal in its source). */
  readonly ordinal: Uint32Array;
  /** Draws per source in one epoch. */
  readonly counts: readonly number[];
}

/**
 * Megatron-LM's blending rule: position p draws from the source whose share so far lags its
 * weight the most, `argmax_s weight[s] × (p + 1) − drawn[s]` (the first such source on ties).
 * Every prefix of the epoch therefore holds each source within one draw of its weighted share.
 * O(N × sources).
 */
export function blend(weights: readonly number[], n: number): Blend {
  const source = new Uint8Array(n);
  const ordinal = new Uint32Array(n);
  const drawn = new Float64Array(weights.length);
  for (let p = 0; p < n; p++) {
    let best = 0;
    let bestLag = -Infinity;
    for (let s = 0; s < weights.length; s++) {
      const lag = weights[s] * (p + 1) - drawn[s];
      if (lag > bestLag) {
        bestLag = lag;
        best = s;
      }
    }
    source[p] = best;
    ordinal[p] = drawn[best]++;
  }
  return { source, ordinal, counts: Array.from(drawn) };
}

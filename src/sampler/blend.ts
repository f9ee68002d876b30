/**
 * Weighted mixtures of stores: the weights as used (explicit, or temperature-scaled as in XLM-R)
 * and the rule for which source each position of an epoch draws from.
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
 * Which source each of the `n` positions of a mixture epoch draws from: the chairman-assignment
 * rule of Tijdeman (1980), a lag rule with a guarantee. After every prefix of `t` positions each
 * source `s` has drawn within `1 - 1/(2(k - 1))` of `weight[s] × t` (k sources), so every prefix
 * of the epoch, and so every global batch, holds each source in proportion to its weight to within
 * one sample. Megatron-LM's `BlendedDataset` draws from the source that lags its weight the most;
 * that simpler rule can fall more than one sample behind with three or more uneven sources (1.17
 * measured), so position t goes instead, among the sources a draw would not put more than
 * `1 - δ` ahead of their share (`δ = 1/(2(k - 1))`), to the one whose deadline is earliest: the
 * last position it can wait for without lagging by more than `1 - δ` (the first such source on
 * ties). O(n × k).
 */
export function blend(weights: readonly number[], n: number): Blend {
  const k = weights.length;
  const delta = k > 1 ? 1 / (2 * (k - 1)) : 0.5;
  const source = new Uint8Array(n);
  const ordinal = new Uint32Array(n);
  const drawn = new Float64Array(k);
  for (let p = 0; p < n; p++) {
    const t = p + 1;
    let best = -1;
    let bestDeadline = Infinity;
    for (let s = 0; s < k; s++) {
      const w = weights[s];
      if (w <= 0 || drawn[s] + 1 - w * t > 1 - delta + 1e-9) continue;
      const deadline = Math.floor((1 - delta + drawn[s]) / w + 1e-9) + 1;
      if (deadline < bestDeadline) {
        bestDeadline = deadline;
        best = s;
      }
    }
    if (best < 0) best = weights.indexOf(Math.max(...weights)); // unreachable by the theorem; keeps the output total
    source[p] = best;
    ordinal[p] = drawn[best]++;
  }
  return { source, ordinal, counts: Array.from(drawn) };
}

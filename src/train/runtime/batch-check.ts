/** Checks that batches fit the model before ONNX Runtime sees them, and counts their tokens. */
import type { Batch } from '../../batch.js';
import { MaskpackError } from '../../errors.js';
import type { ModelConfig } from '../model/config.js';

/** Counts of a set of batches that passed {@link inspectBatches}. */
export interface BatchInfo {
  /** Positions whose label is not the ignore index, in all batches. */
  readonly maskedTokens: number;
  /** The batches that have at least one such position, in order: the others add no loss. */
  readonly withTargets: readonly Batch[];
  /** Positions whose attention mask is 1. */
  readonly tokens: number;
}

/**
 * Checks that every batch fits the model (shape, seqLen ≤ maxPositions, ids and labels in
 * range, mask 0/1) so ONNX Runtime never sees an index it could run past, and counts tokens.
 * A batch with no masked position is valid: it has nothing to predict, so it adds no loss and
 * no gradient, and is left out of `withTargets`.
 * @throws TypeError when `batches` is not a non-empty array of batches;
 *   MaskpackError ERR_BAD_INPUT for out-of-range data.
 */
export function inspectBatches(batches: readonly Batch[], config: ModelConfig, method: string): BatchInfo {
  if (batches.length === 0) throw new TypeError(`${method}() needs at least one batch`);
  let maskedTokens = 0;
  let tokens = 0;
  const withTargets: Batch[] = [];
  const { vocabSize: V, ignoreIndex, maxPositions } = config;
  batches.forEach((b, k) => {
    if (typeof b !== 'object' || b === null || !Array.isArray(b.shape)) {
      throw new TypeError(`${method}(): batch ${k} is not a Batch`);
    }
    const [B, L] = b.shape;
    const bad = (msg: string) => new MaskpackError('ERR_BAD_INPUT', `${method}(): batch ${k}: ${msg}`);
    if (!(L >= 1 && L <= maxPositions)) throw bad(`sequence length ${L} is not in [1, ${maxPositions}] (model.maxPositions)`);
    if (!(B >= 1)) throw bad(`batch size ${B} is not positive`);
    for (const [name, a] of [['inputIds', b.inputIds], ['attentionMask', b.attentionMask], ['labels', b.labels]] as const) {
      if (!(a instanceof Int32Array) || a.length !== B * L) throw bad(`${name} must be an Int32Array of ${B * L} elements`);
    }
    const { inputIds, attentionMask, labels } = b;
    const before = maskedTokens;
    for (let i = 0; i < inputIds.length; i++) {
      const id = inputIds[i]!;
      const mask = attentionMask[i]!;
      const label = labels[i]!;
      if (id < 0 || id >= V) throw bad(`input id ${id} at ${i} is outside [0, ${V})`);
      if (mask !== 0 && mask !== 1) throw bad(`attention mask value ${mask} at ${i} is not 0 or 1`);
      tokens += mask;
      if (label === ignoreIndex) continue;
      if (label < 0 || label >= V) throw bad(`label ${label} at ${i} is neither ${ignoreIndex} nor in [0, ${V})`);
      maskedTokens++;
    }
    if (maskedTokens > before) withTargets.push(b);
  });
  return { maskedTokens, tokens, withTargets };
}

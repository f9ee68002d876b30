/**
 * Batch forms (see `src/batch.ts`): the options that choose one, validated once, and the host's
 * part of building them: the packed rows' offsets, and the fixed-shape `[B, N]` sparse form made
 * from the kernel's variable-length lists.
 */
import type { BatchFormOptions, BatchLayout, LabelForm } from '../batch.js';
import { MaskpackError } from '../errors.js';
import { checkEnum, checkInteger } from '../validate.js';

/** A batch form, validated. */
export interface BatchForm {
  readonly layout: BatchLayout;
  readonly labels: LabelForm;
  /** The cap N on masked positions per row, and with sparse labels the `[B, N]` form's N; undefined: no cap, variable-length lists. */
  readonly maxPredictions: number | undefined;
}

/** The padded dense form (today's `Batch`). */
export const PADDED_DENSE: BatchForm = Object.freeze({ layout: 'padded', labels: 'dense', maxPredictions: undefined });

/** The largest `maxPredictions` accepted (a row holds at most this many tokens anyway). */
export const MAX_PREDICTIONS_LIMIT = 1 << 20;

/** The option keys of a batch form (split from the others by the loader and the collator). */
export const FORM_KEYS = ['layout', 'labels', 'maxPredictions'] as const;

/**
 * Validates `layout` (`'padded'` | `'packed'`), `labels` (`'dense'` | `'sparse'`) and
 * `maxPredictions` (an integer in [1, 2^20]: the masker's cap on selections per row, and with
 * `labels: 'sparse'` the `[B, N]` form).
 * @throws TypeError / RangeError naming the option (`${name}.layout` …).
 */
export function resolveBatchForm(options: BatchFormOptions, name = 'options'): BatchForm {
  const layout = checkEnum(`${name}.layout`, options.layout ?? 'padded', ['padded', 'packed'] as const);
  const labels = checkEnum(`${name}.labels`, options.labels ?? 'dense', ['dense', 'sparse'] as const);
  let maxPredictions: number | undefined;
  if (options.maxPredictions !== undefined) {
    maxPredictions = checkInteger(`${name}.maxPredictions`, options.maxPredictions, 1, MAX_PREDICTIONS_LIMIT);
  }
  return { layout, labels, maxPredictions };
}

/** `[B + 1]` row ends of packed rows: 0, then the running sum of `rowLengths`. */
export function cuSeqlens(rowLengths: ArrayLike<number>): Int32Array {
  const out = new Int32Array(rowLengths.length + 1);
  for (let r = 0; r < rowLengths.length; r++) out[r + 1] = out[r] + rowLengths[r];
  return out;
}

/** The longest of `rowLengths` (0 for none). */
export function maxLength(rowLengths: ArrayLike<number>): number {
  let m = 0;
  for (let r = 0; r < rowLengths.length; r++) if (rowLengths[r] > m) m = rowLengths[r];
  return m;
}

/** The `[B, N]` sparse arrays. */
export interface FixedPredictions {
  maskedPositions: Int32Array;
  maskedIds: Int32Array;
  maskedWeights: Float32Array;
}

/**
 * The fixed-shape `[B, N]` form of the variable lists (`positions` flat, row r's entries
 * `[rowStart[r], rowStart[r + 1])`): row-local positions (flat minus `rowBase(r)`), each row's
 * predictions first, then padding slots (position 0, id `ignoreIndex`, weight 0).
 *
 * A row with more than N selections is refused, not cut: dropping some would bias the loss
 * towards the rows' first positions. (The masker's own cap, which selects at most N, makes it
 * unreachable through the loader and `Collator`, which pass `maxPredictions` to it; the check stays
 * as a guard.)
 * @throws MaskpackError `ERR_BAD_INPUT` naming the row, its sample and its count.
 */
export function fixedPredictions(
  positions: Int32Array, ids: Int32Array, rowStart: Int32Array, rowBase: (r: number) => number, n: number, ignoreIndex: number,
  sampleIds: Uint32Array,
): FixedPredictions {
  const rows = rowStart.length - 1;
  const out: FixedPredictions = {
    maskedPositions: new Int32Array(rows * n),
    maskedIds: new Int32Array(rows * n).fill(ignoreIndex),
    maskedWeights: new Float32Array(rows * n),
  };
  for (let r = 0; r < rows; r++) {
    const first = rowStart[r];
    const count = rowStart[r + 1] - first;
    if (count > n) {
      throw new MaskpackError('ERR_BAD_INPUT', `row ${r} (sample ${sampleIds[r]}) has ${count} masked positions, more than maxPredictions ${n}`);
    }
    const base = rowBase(r);
    const at = r * n;
    for (let k = 0; k < count; k++) {
      out.maskedPositions[at + k] = positions[first + k] - base;
      out.maskedIds[at + k] = ids[first + k];
      out.maskedWeights[at + k] = 1;
    }
  }
  return out;
}

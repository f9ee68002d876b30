/**
 * The other batch forms derived in plain TypeScript from a padded batch with dense labels: the
 * oracle of the forms' tests ("the packed batch is the padded batch with the padding removed",
 * "sparse lists exactly the positions whose label is not ignored").
 */
import type { AnyBatch, Batch } from 'maskpack';

/** Arrays of one batch as plain number lists, for deepEqual. */
export type Plain = Record<string, number[] | number>;

const list = (a: ArrayLike<number>): number[] => Array.from(a);

/** Every array of `batch` (any form) as plain lists (and `maxSeqlen`, `maxPredictions`, `layout` as they are). */
export function plain(batch: AnyBatch): Plain {
  const out: Plain = {};
  for (const [key, value] of Object.entries(batch)) {
    if (ArrayBuffer.isView(value)) out[key] = list(value as unknown as ArrayLike<number>);
    else if (typeof value === 'number' || typeof value === 'string') out[key] = value as number;
  }
  out.shape = list(batch.shape);
  return out;
}

/** Real lengths of each row of a padded batch. */
export function rowLengths(batch: Batch): number[] {
  const [B, L] = batch.shape;
  return Array.from({ length: B }, (_, r) => batch.attentionMask.subarray(r * L, (r + 1) * L).reduce((a, b) => a + b, 0));
}

/**
 * The form `layout` × `labels` (× `maxPredictions`) of `padded`, as plain lists; `ignoreIndex`
 * marks unselected labels. Throws when a row has more selections than `maxPredictions`.
 */
export function expectedForm(padded: Batch, form: { layout?: 'padded' | 'packed'; labels?: 'dense' | 'sparse'; maxPredictions?: number }, ignoreIndex = -100): Plain {
  const [B, L] = padded.shape;
  const lengths = rowLengths(padded);
  const packed = form.layout === 'packed';
  const out: Plain = { sampleIds: list(padded.sampleIds) };
  if (padded.nextSentenceLabel) out.nextSentenceLabel = list(padded.nextSentenceLabel);
  if (padded.sourceIds) out.sourceIds = list(padded.sourceIds);
  const rowStarts = packed ? [0] : [];
  const cut = (a: Int32Array) => (packed ? lengths.flatMap((n, r) => list(a.subarray(r * L, r * L + n))) : list(a));
  out.inputIds = cut(padded.inputIds);
  if (padded.tokenTypeIds) out.tokenTypeIds = cut(padded.tokenTypeIds);
  if (packed) {
    for (const n of lengths) rowStarts.push(rowStarts[rowStarts.length - 1] + n);
    out.cuSeqlens = rowStarts;
    out.positionIds = lengths.flatMap((n) => Array.from({ length: n }, (_, j) => j));
    out.maxSeqlen = Math.max(0, ...lengths);
    out.shape = [rowStarts[B]];
    out.layout = 'packed' as never;
  } else {
    out.attentionMask = list(padded.attentionMask);
    out.shape = [B, L];
  }
  if (form.labels !== 'sparse') {
    out.labels = cut(padded.labels);
    return out;
  }
  const positions: number[] = [];
  const ids: number[] = [];
  const start = [0];
  for (let r = 0; r < B; r++) {
    for (let j = 0; j < lengths[r]; j++) {
      const label = padded.labels[r * L + j];
      if (label === ignoreIndex) continue;
      positions.push(packed ? rowStarts[r] + j : r * L + j);
      ids.push(label);
    }
    start.push(positions.length);
  }
  out.maskedRowStart = start;
  const N = form.maxPredictions;
  if (N === undefined) {
    out.maskedPositions = positions;
    out.maskedIds = ids;
    return out;
  }
  out.maxPredictions = N;
  out.maskedPositions = new Array(B * N).fill(0);
  out.maskedIds = new Array(B * N).fill(ignoreIndex);
  out.maskedWeights = new Array(B * N).fill(0);
  for (let r = 0; r < B; r++) {
    const count = start[r + 1] - start[r];
    if (count > N) throw new Error(`row ${r} has ${count} > ${N}`);
    for (let k = 0; k < count; k++) {
      (out.maskedPositions as number[])[r * N + k] = positions[start[r] + k] - (packed ? rowStarts[r] : r * L);
      (out.maskedIds as number[])[r * N + k] = ids[start[r] + k];
      (out.maskedWeights as number[])[r * N + k] = 1;
    }
  }
  return out;
}

/** The most selections of any row of `padded`. */
export function mostSelections(padded: Batch, ignoreIndex = -100): number {
  const [B, L] = padded.shape;
  let most = 0;
  for (let r = 0; r < B; r++) most = Math.max(most, padded.labels.subarray(r * L, (r + 1) * L).filter((v) => v !== ignoreIndex).length);
  return most;
}

/**
 * Every array a batch of any form (`src/batch.ts`) may carry, in one library-wide order, each with
 * its field (camelCase), its name (snake_case: the `.npy` file names of `export`, the records of
 * the stream, the ONNX feed names) and its shape rule. The stream writes a batch's arrays in this
 * order (less `sample_ids`); `export`, `toFeeds` and `inspect --json` use the names.
 *
 * ```
 *  input_ids           int32    [B, L] padded | [T] packed
 *  attention_mask      int32    [B, L]                      padded
 *  position_ids        int32    [T]                         packed
 *  cu_seqlens          int32    [B + 1]                     packed
 *  max_seqlen          int32    []  (0-d)                   packed
 *  labels              int32    the shape of input_ids      dense labels
 *  masked_positions    int32    [M] | [B, N]                sparse labels
 *  masked_ids          int32    [M] | [B, N]                sparse labels
 *  masked_weights      float32  [B, N]                      sparse labels with maxPredictions
 *  masked_row_start    int32    [B + 1]                     sparse labels
 *  token_type_ids      int32    the shape of input_ids      pair formats
 *  next_sentence_label int32    [B]                         pair formats
 *  source_ids          int32    [B]                         mixtures of stores
 *  sample_ids          uint32   [B]                         every batch (not streamed or exported)
 * ```
 * Today's padded dense arrays keep their relative order (input_ids, attention_mask, labels,
 * token_type_ids, next_sentence_label, source_ids), so their wire bytes are unchanged.
 */
import type { AnyBatch } from './batch.js';

/** An element array of a batch (int32, float32 and uint32 today; the stream's encoder takes any of these). */
export type BatchArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** Every field a batch of some form may carry. */
export type BatchField =
  | 'inputIds' | 'attentionMask' | 'positionIds' | 'cuSeqlens' | 'maxSeqlen' | 'labels' | 'maskedPositions' | 'maskedIds'
  | 'maskedWeights' | 'maskedRowStart' | 'tokenTypeIds' | 'nextSentenceLabel' | 'sourceIds' | 'sampleIds';

/**
 * How an array's shape follows from the batch: `tokens` the shape of `inputIds` (`batch.shape`),
 * `rows` `[B]`, `rowEnds` `[B + 1]`, `scalar` `[]` (a number in the batch, a 0-d array on the
 * wire), `masked` `[M]` (or `[B, N]` with `maxPredictions`), `predictions` `[B, N]`.
 */
export type BatchArrayShape = 'tokens' | 'rows' | 'rowEnds' | 'scalar' | 'masked' | 'predictions';

/** One array of a batch. */
export interface BatchArraySpec {
  /** The field of the batch (camelCase). */
  readonly field: BatchField;
  /** The name in files, on the wire and in feeds (`input_ids`). */
  readonly name: string;
  readonly shape: BatchArrayShape;
}

/** Every array a batch may carry, in the library's order (see the module comment). */
export const BATCH_ARRAYS: readonly BatchArraySpec[] = Object.freeze([
  { field: 'inputIds', name: 'input_ids', shape: 'tokens' },
  { field: 'attentionMask', name: 'attention_mask', shape: 'tokens' },
  { field: 'positionIds', name: 'position_ids', shape: 'tokens' },
  { field: 'cuSeqlens', name: 'cu_seqlens', shape: 'rowEnds' },
  { field: 'maxSeqlen', name: 'max_seqlen', shape: 'scalar' },
  { field: 'labels', name: 'labels', shape: 'tokens' },
  { field: 'maskedPositions', name: 'masked_positions', shape: 'masked' },
  { field: 'maskedIds', name: 'masked_ids', shape: 'masked' },
  { field: 'maskedWeights', name: 'masked_weights', shape: 'predictions' },
  { field: 'maskedRowStart', name: 'masked_row_start', shape: 'rowEnds' },
  { field: 'tokenTypeIds', name: 'token_type_ids', shape: 'tokens' },
  { field: 'nextSentenceLabel', name: 'next_sentence_label', shape: 'rows' },
  { field: 'sourceIds', name: 'source_ids', shape: 'rows' },
  { field: 'sampleIds', name: 'sample_ids', shape: 'rows' },
] as const);

/** The shape of the array `spec` describes in `batch`. */
export function batchArrayShape(batch: AnyBatch, spec: Pick<BatchArraySpec, 'shape'>): readonly number[] {
  const rows = batch.layout === 'packed' ? batch.sampleIds.length : batch.shape[0];
  const n = (batch as { maxPredictions?: number }).maxPredictions;
  switch (spec.shape) {
    case 'tokens': return batch.shape;
    case 'rows': return [rows];
    case 'rowEnds': return [rows + 1];
    case 'scalar': return [];
    case 'masked': return n === undefined ? [(batch as { maskedIds: Int32Array }).maskedIds.length] : [rows, n];
    case 'predictions': return [rows, n ?? 0];
  }
}

/** The arrays `batch` carries (those of `specs`, default all), in table order, each with its name and shape; a number becomes a 0-d int32 array. */
export function batchArrays(batch: AnyBatch, specs: readonly BatchArraySpec[] = BATCH_ARRAYS): { name: string; field: BatchField; array: BatchArray; shape: readonly number[] }[] {
  const out: { name: string; field: BatchField; array: BatchArray; shape: readonly number[] }[] = [];
  const fields = batch as unknown as Partial<Record<BatchField, BatchArray | number>>;
  for (const spec of specs) {
    const value = fields[spec.field];
    if (value === undefined) continue;
    out.push({ name: spec.name, field: spec.field, array: typeof value === 'number' ? Int32Array.of(value) : value, shape: batchArrayShape(batch, spec) });
  }
  return out;
}

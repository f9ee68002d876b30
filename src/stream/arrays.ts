/**
 * The arrays a {@link Batch} carries, in the one order in which the stream writes them, each
 * with its name (snake_case, as `export` names its `.npy` files) and its shape rule.
 *
 * The wire encoder walks this table and writes every array a batch has, whatever its element
 * type, so an array added to the table (another layout, another label form) streams without
 * other changes. The table has the form of the library-wide `BATCH_ARRAYS` (`src/batch-arrays.ts`,
 * being added with the packed layout and sparse labels, in the same order for today's arrays):
 * once that lands, `STREAM_ARRAYS` becomes `BATCH_ARRAYS` less `sample_ids` (not an array of
 * `export` either) and {@link streamArrays} reads shapes with its `batchArrayShape`.
 */
import type { Batch } from '../batch.js';

/** An element array of a batch (int32 today; the encoder takes any of these). */
export type BatchArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** One array of a batch on the wire. */
export interface StreamArraySpec {
  /** The field of the batch (camelCase). */
  readonly field: keyof Batch;
  /** The name on the wire and in `export`'s files (`input_ids`). */
  readonly name: string;
  /** `tokens`: the shape of `inputIds` (`[B, L]`); `rows`: `[B]`. */
  readonly shape: 'tokens' | 'rows';
}

/**
 * Every array a batch may carry, in wire order: input_ids, attention_mask, labels, then
 * token_type_ids and next_sentence_label (pair formats), then source_ids (mixtures of stores).
 */
export const STREAM_ARRAYS: readonly StreamArraySpec[] = Object.freeze([
  { field: 'inputIds', name: 'input_ids', shape: 'tokens' },
  { field: 'attentionMask', name: 'attention_mask', shape: 'tokens' },
  { field: 'labels', name: 'labels', shape: 'tokens' },
  { field: 'tokenTypeIds', name: 'token_type_ids', shape: 'tokens' },
  { field: 'nextSentenceLabel', name: 'next_sentence_label', shape: 'rows' },
  { field: 'sourceIds', name: 'source_ids', shape: 'rows' },
] as const);

/** The arrays `batch` carries, in wire order, each with its name and shape. */
export function streamArrays(batch: Batch): { name: string; array: BatchArray; shape: readonly number[] }[] {
  const out: { name: string; array: BatchArray; shape: readonly number[] }[] = [];
  for (const spec of STREAM_ARRAYS) {
    const value = batch[spec.field] as BatchArray | number | undefined;
    if (value === undefined) continue;
    // A number (such as a packed batch's longest row) is a 0-d int32 array.
    if (typeof value === 'number') out.push({ name: spec.name, array: Int32Array.of(value), shape: [] });
    else out.push({ name: spec.name, array: value, shape: spec.shape === 'tokens' ? batch.shape : [batch.shape[0]] });
  }
  return out;
}

/**
 * The arrays the stream writes: the library-wide {@link BATCH_ARRAYS} (`src/batch-arrays.ts`)
 * less `sample_ids` (not an array of `export` either), in that table's order, each under its
 * name (snake_case, as `export` names its `.npy` files) with its shape.
 *
 * The wire encoder walks this table and writes every array a batch has, whatever its element
 * type, so an array added to the table streams without other changes.
 */
import type { AnyBatch } from '../batch.js';
import { BATCH_ARRAYS, batchArrays, type BatchArray, type BatchArraySpec } from '../batch-arrays.js';

export type { BatchArray } from '../batch-arrays.js';

/** One array of a batch on the wire. */
export type StreamArraySpec = BatchArraySpec;

/**
 * Every array a batch may carry, in wire order: input_ids, attention_mask (padded), position_ids,
 * cu_seqlens, max_seqlen (packed), labels (dense), masked_positions, masked_ids, masked_weights,
 * masked_row_start (sparse), token_type_ids and next_sentence_label (pair formats), source_ids
 * (mixtures of stores).
 */
export const STREAM_ARRAYS: readonly StreamArraySpec[] = Object.freeze(BATCH_ARRAYS.filter((s) => s.name !== 'sample_ids'));

/** The arrays `batch` carries, in wire order, each with its name and shape. */
export function streamArrays(batch: AnyBatch): { name: string; array: BatchArray; shape: readonly number[] }[] {
  return batchArrays(batch, STREAM_ARRAYS).map(({ name, array, shape }) => ({ name, array, shape }));
}

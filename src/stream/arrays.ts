/**
 * The arrays a {@link Batch} carries, in the one order in which the stream writes them, each
 * with its file name (snake_case, as `export` names its `.npy` files) and its shape.
 *
 * This table is the only place that knows which arrays exist: the wire encoder walks it and
 * writes every array a batch has, whatever its element type, so an array added here (for another
 * layout or label form) streams without other changes. When the library gains one exported
 * table of every Batch array (name, dtype, order), this one gives way to it.
 */
import type { Batch } from '../batch.js';

/** An element array of a batch (int32 today; the encoder takes any of these). */
export type BatchArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** One array of a batch on the wire. */
export interface BatchArraySpec {
  /** The name on the wire and in `export`'s files (`input_ids`). */
  readonly name: string;
  /** The array of `batch`, or undefined when this batch has none (e.g. `token_type_ids` outside the pair formats). */
  get(batch: Batch): BatchArray | undefined;
  /** Its shape in `batch` (`[B, L]` or `[B]`). */
  shape(batch: Batch): readonly number[];
}

const grid = (b: Batch): readonly number[] => b.shape;
const rows = (b: Batch): readonly number[] => [b.shape[0]];

/**
 * Every array a batch may carry, in wire order: input_ids, attention_mask, labels, then
 * token_type_ids and next_sentence_label (pair formats), then source_ids (mixtures of stores).
 */
export const STREAM_ARRAYS: readonly BatchArraySpec[] = [
  { name: 'input_ids', get: (b) => b.inputIds, shape: grid },
  { name: 'attention_mask', get: (b) => b.attentionMask, shape: grid },
  { name: 'labels', get: (b) => b.labels, shape: grid },
  { name: 'token_type_ids', get: (b) => b.tokenTypeIds, shape: grid },
  { name: 'next_sentence_label', get: (b) => b.nextSentenceLabel, shape: rows },
  { name: 'source_ids', get: (b) => b.sourceIds, shape: rows },
];

/** The arrays `batch` carries, in wire order, each with its name and shape. */
export function batchArrays(batch: Batch): { name: string; array: BatchArray; shape: readonly number[] }[] {
  const out: { name: string; array: BatchArray; shape: readonly number[] }[] = [];
  for (const spec of STREAM_ARRAYS) {
    const array = spec.get(batch);
    if (array !== undefined) out.push({ name: spec.name, array, shape: spec.shape(batch) });
  }
  return out;
}

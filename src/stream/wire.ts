/**
 * The stream's wire format: every batch is one header record followed by the batch's arrays,
 * all `.npy` records (NumPy format 1.0, C order, little-endian), one after another with nothing
 * in between; after the last batch comes an end record. A reader that knows only NumPy reads it
 * with `numpy.lib.format.read_array` in a loop.
 *
 * ```
 *  header (uint8 [n]: UTF-8 JSON) | input_ids [B, L] | attention_mask [B, L] | labels [B, L] | …  one batch
 *  (packed / sparse batches: input_ids [T] | position_ids | cu_seqlens | max_seqlen | masked_… in BATCH_ARRAYS order)
 *  header                         | …                                                             the next
 *  end header (uint8 [n]: JSON with "end": true, "arrays": [])                                    after the last
 * ```
 *
 * A header's JSON holds `maskpack` (`"stream-v1"`), `epoch` and `batchIndex` (the batch's place
 * in the run), `arrays` (the names of the records that follow, in order, see `STREAM_ARRAYS`) and
 * `state` (the loader's `state()` after this batch: what `--resume` takes to continue after it).
 * The end header has `end: true`, `arrays: []`, `batches` (how many batches were sent) and the
 * final `state`; a stream that stops without one was cut short (interrupted or failed).
 */
import type { AnyBatch } from '../batch.js';
import type { SamplerState } from '../sampler/index.js';
import { streamArrays } from './arrays.js';
import { npyRecord } from './npy-record.js';

/** The value of `maskpack` in every header: the version of this format. */
export const STREAM_FORMAT = 'stream-v1';

/** The JSON of a batch's header record. */
export interface BatchHeader {
  readonly maskpack: typeof STREAM_FORMAT;
  readonly epoch: number;
  readonly batchIndex: number;
  /** Names of the records that follow, in order. */
  readonly arrays: readonly string[];
  /** The loader's state after this batch (resume from it to continue with the next). */
  readonly state: SamplerState;
}

/** The JSON of the end record. */
export interface EndHeader extends BatchHeader {
  readonly end: true;
  /** Batches sent before it. */
  readonly batches: number;
}

/** A header record: the JSON as a 1-d uint8 `.npy` array. */
function headerRecord(header: BatchHeader | EndHeader): Uint8Array[] {
  const json = new TextEncoder().encode(JSON.stringify(header));
  return npyRecord(json, [json.length]);
}

/**
 * The records of `batch` at `position` in the run, with the loader's `state` after it: the header
 * record, then one record per array in wire order. `int64` widens the int32 arrays to int64.
 * The data chunks are views of the batch's buffers (little-endian hosts): recycle the batch only
 * once they are written out.
 */
export function encodeBatch(batch: AnyBatch, position: { epoch: number; batchIndex: number }, state: SamplerState, int64 = false): Uint8Array[] {
  const arrays = streamArrays(batch);
  const header: BatchHeader = { maskpack: STREAM_FORMAT, epoch: position.epoch, batchIndex: position.batchIndex, arrays: arrays.map((a) => a.name), state };
  return [...headerRecord(header), ...arrays.flatMap((a) => npyRecord(a.array, a.shape, int64))];
}

/** The end record after `batches` batches, with the final `state` (`epoch`/`batchIndex` are its). */
export function encodeEnd(batches: number, state: SamplerState): Uint8Array[] {
  return headerRecord({ maskpack: STREAM_FORMAT, end: true, epoch: state.epoch, batchIndex: state.batchIndex, arrays: [], state, batches });
}

/**
 * Batches of any form as ONNX Runtime feeds, named as Hugging Face names model inputs
 * (`input_ids`, `attention_mask`, `labels`, …; the names of `BATCH_ARRAYS`).
 */
import type { Tensor } from 'onnxruntime-node';
import type { AnyBatch, Batch } from '../../batch.js';
import { BATCH_ARRAYS, batchArrayShape, type BatchField } from '../../batch-arrays.js';
import { loadOnnxRuntime } from './onnxruntime.js';

/** Element type of the id tensors handed to ONNX Runtime. */
export type FeedDType = 'int32' | 'int64';

export interface ToFeedsOptions {
  /**
   * `'int32'` (default): the tensors wrap the batch's own buffers, no copy.
   * `'int64'`: a converted copy (BigInt64Array), for models exported by Hugging Face or
   * fairseq, whose inputs are int64. (`masked_weights` stays float32.)
   */
  readonly dtype?: FeedDType;
}

/** ONNX Runtime feeds of a padded batch with dense labels, named as Hugging Face names model inputs. */
export interface BatchFeeds {
  input_ids: Tensor;
  attention_mask: Tensor;
  labels: Tensor;
  token_type_ids?: Tensor;
  next_sentence_label?: Tensor;
}

/** ONNX Runtime feeds of a batch of any form: one per array it carries (see {@link toFeeds}). */
export interface AnyBatchFeeds {
  input_ids: Tensor;
  attention_mask?: Tensor;
  position_ids?: Tensor;
  cu_seqlens?: Tensor;
  max_seqlen?: Tensor;
  labels?: Tensor;
  masked_positions?: Tensor;
  masked_ids?: Tensor;
  masked_weights?: Tensor;
  masked_row_start?: Tensor;
  token_type_ids?: Tensor;
  next_sentence_label?: Tensor;
}

const isShared = (a: ArrayBufferView): boolean =>
  typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;

function tensor(a: Int32Array | Float32Array, dims: readonly number[], dtype: FeedDType): Tensor {
  const { Tensor } = loadOnnxRuntime();
  if (a instanceof Float32Array) return new Tensor('float32', isShared(a) ? a.slice() : a, dims);
  if (dtype === 'int64') return new Tensor('int64', BigInt64Array.from(a, (v) => BigInt(v)), dims);
  return new Tensor('int32', isShared(a) ? a.slice() : a, dims);
}

/** Arrays that are not feeds (bookkeeping of the rows). */
const NOT_FEEDS: ReadonlySet<BatchField> = new Set(['sampleIds', 'sourceIds']);

/**
 * ONNX Runtime feeds for `batch`, one tensor per array it carries, named and shaped as the
 * batch holds it:
 *
 * - padded: `input_ids`, `attention_mask` `[B, L]`; packed: `input_ids`, `position_ids` `[T]`,
 *   `cu_seqlens` `[B + 1]`, `max_seqlen` (a 0-d tensor)
 * - dense labels: `labels` (the shape of `input_ids`); sparse: `masked_positions`, `masked_ids`
 *   `[M]` (flat positions) or `[B, N]` (row-local, with `maxPredictions`), `masked_weights`
 *   `[B, N]` float32 (with `maxPredictions`), `masked_row_start` `[B + 1]`
 * - pair formats: `token_type_ids` (the shape of `input_ids`), `next_sentence_label` `[B]`
 *
 * Buffer ownership: with `dtype: 'int32'` each tensor wraps the batch's typed array itself
 * (`tensor.data === batch.inputIds`); ONNX Runtime reads it during `run()`, so the caller must
 * not modify or transfer the batch's buffers until the run has settled. An array backed by a
 * `SharedArrayBuffer` (which ONNX Runtime rejects) is copied into a fresh `ArrayBuffer`, so
 * such a batch still works, at the cost of one copy. With `dtype: 'int64'` every int32 array
 * becomes a fresh BigInt64Array the caller owns (`masked_weights` stays the batch's float32
 * array; `max_seqlen` is always a fresh one-element array).
 *
 * Needs the optional package onnxruntime-node (loaded on the first call).
 *
 * @throws TypeError when `options.dtype` is not `'int32'` or `'int64'`, or an array is not an
 *   Int32Array (Float32Array for `maskedWeights`); RangeError when an array's length does not
 *   match the batch's shape; MaskpackError ERR_MISSING_PACKAGE when onnxruntime-node is not installed.
 */
export function toFeeds(batch: Batch, options?: ToFeedsOptions): BatchFeeds;
export function toFeeds(batch: AnyBatch, options?: ToFeedsOptions): AnyBatchFeeds;
export function toFeeds(batch: AnyBatch, options: ToFeedsOptions = {}): AnyBatchFeeds {
  const dtype = options.dtype ?? 'int32';
  if (dtype !== 'int32' && dtype !== 'int64') {
    throw new TypeError(`options.dtype must be 'int32' or 'int64', got ${String(dtype)}`);
  }
  const shape = batch.shape as readonly number[];
  const packed = batch.layout === 'packed';
  if (shape.length !== (packed ? 1 : 2) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(`batch.shape must be ${packed ? 'one non-negative integer ([T], packed)' : 'two non-negative integers'}, got [${shape.map(String).join(', ')}]`);
  }
  const rows = batch.sampleIds.length;
  if (packed && (!(batch.cuSeqlens instanceof Int32Array) || batch.cuSeqlens.length !== rows + 1 || batch.cuSeqlens[rows] !== shape[0])) {
    throw new RangeError(`batch.cuSeqlens must be an Int32Array of ${rows + 1} row ends ending at T = ${shape[0]}`);
  }
  const fields = batch as unknown as Partial<Record<BatchField, unknown>>;
  const feeds: Partial<Record<string, Tensor>> = {};
  for (const spec of BATCH_ARRAYS) {
    const a = fields[spec.field];
    if (a === undefined || NOT_FEEDS.has(spec.field)) continue;
    if (spec.shape === 'scalar') {
      if (!Number.isInteger(a) || (a as number) < 0) throw new TypeError(`batch.${spec.field} must be a non-negative integer, got ${String(a)}`);
      feeds[spec.name] = tensor(Int32Array.of(a as number), [], dtype);
      continue;
    }
    const float = spec.field === 'maskedWeights';
    if (!(a instanceof (float ? Float32Array : Int32Array))) throw new TypeError(`batch.${spec.field} must be ${float ? 'a Float32Array' : 'an Int32Array'}`);
    const dims = batchArrayShape(batch, spec);
    const n = dims.reduce((x, y) => x * y, 1);
    const array = a as Int32Array | Float32Array;
    if (array.length !== n) {
      throw new RangeError(`batch.${spec.field} must have ${n} elements for shape [${shape.join(', ')}], got ${array.length}`);
    }
    feeds[spec.name] = tensor(array, dims, dtype);
  }
  return feeds as unknown as AnyBatchFeeds;
}

/** Batches as ONNX Runtime feeds (`input_ids`, `attention_mask`, `labels`, ...), named as Hugging Face names model inputs. */
import type { Tensor } from 'onnxruntime-node';
import type { Batch } from '../../batch.js';
import { loadOnnxRuntime } from './onnxruntime.js';

/** Element type of the id tensors handed to ONNX Runtime. */
export type FeedDType = 'int32' | 'int64';

export interface ToFeedsOptions {
  /**
   * `'int32'` (default): the tensors wrap the batch's own buffers, no copy.
   * `'int64'`: a converted copy (BigInt64Array), for models exported by Hugging Face or
   * fairseq, whose inputs are int64.
   */
  readonly dtype?: FeedDType;
}

/** ONNX Runtime feeds named as Hugging Face names model inputs. */
export interface BatchFeeds {
  input_ids: Tensor;
  attention_mask: Tensor;
  labels: Tensor;
  token_type_ids?: Tensor;
  next_sentence_label?: Tensor;
}

const isShared = (a: Int32Array): boolean =>
  typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;

function tensor(a: Int32Array, dims: readonly number[], dtype: FeedDType): Tensor {
  const { Tensor } = loadOnnxRuntime();
  if (dtype === 'int64') return new Tensor('int64', BigInt64Array.from(a, (v) => BigInt(v)), dims);
  return new Tensor('int32', isShared(a) ? a.slice() : a, dims);
}

/**
 * ONNX Runtime feeds for `batch`: `input_ids`, `attention_mask`, `labels` (`[B, L]`) and, when
 * the batch has them, `token_type_ids` (`[B, L]`) and `next_sentence_label` (`[B]`).
 *
 * Buffer ownership: with `dtype: 'int32'` each tensor wraps the batch's typed array itself
 * (`tensor.data === batch.inputIds`); ONNX Runtime reads it during `run()`, so the caller must
 * not modify or transfer the batch's buffers until the run has settled. An array backed by a
 * `SharedArrayBuffer` (which ONNX Runtime rejects) is copied into a fresh `ArrayBuffer`, so
 * such a batch still works, at the cost of one copy. With `dtype: 'int64'` every tensor is a
 * fresh BigInt64Array the caller owns.
 *
 * Needs the optional package onnxruntime-node (loaded on the first call).
 *
 * @throws TypeError when `options.dtype` is not `'int32'` or `'int64'`, or an array is not an
 *   Int32Array; RangeError when an array's length does not match `batch.shape`;
 *   MaskpackError ERR_MISSING_PACKAGE when onnxruntime-node is not installed.
 */
export function toFeeds(batch: Batch, options: ToFeedsOptions = {}): BatchFeeds {
  const dtype = options.dtype ?? 'int32';
  if (dtype !== 'int32' && dtype !== 'int64') {
    throw new TypeError(`options.dtype must be 'int32' or 'int64', got ${String(dtype)}`);
  }
  const [B, L] = batch.shape;
  if (!Number.isInteger(B) || !Number.isInteger(L) || B < 0 || L < 0) {
    throw new RangeError(`batch.shape must be two non-negative integers, got [${String(B)}, ${String(L)}]`);
  }
  const check = (name: string, a: unknown, n: number): Int32Array => {
    if (!(a instanceof Int32Array)) throw new TypeError(`batch.${name} must be an Int32Array`);
    if (a.length !== n) {
      throw new RangeError(`batch.${name} must have ${n} elements for shape [${B}, ${L}], got ${a.length}`);
    }
    return a;
  };
  const dims = [B, L];
  const feeds: BatchFeeds = {
    input_ids: tensor(check('inputIds', batch.inputIds, B * L), dims, dtype),
    attention_mask: tensor(check('attentionMask', batch.attentionMask, B * L), dims, dtype),
    labels: tensor(check('labels', batch.labels, B * L), dims, dtype),
  };
  if (batch.tokenTypeIds !== undefined) {
    feeds.token_type_ids = tensor(check('tokenTypeIds', batch.tokenTypeIds, B * L), dims, dtype);
  }
  if (batch.nextSentenceLabel !== undefined) {
    feeds.next_sentence_label = tensor(check('nextSentenceLabel', batch.nextSentenceLabel, B), [B], dtype);
  }
  return feeds;
}

/**
 * The public masking API: dynamic (or static) RoBERTa/BERT masking of a batch of rows that
 * already carry their special tokens and padding.
 */
import { describe, U32_MAX } from '../validate.js';
import { MaskKernel, type KernelTier } from './kernel.js';
import { resolveMaskOptions, withEpoch, type MaskOptions, type MaskParams } from './options.js';
import { maskWithReference, type MaskedIds } from './reference.js';

export type { MaskedIds } from './reference.js';
export type { KernelTier } from './kernel.js';

/** Per-call overrides. */
export interface MaskCall {
  /** Epoch of this batch (default: the masker's `epoch` option). */
  epoch?: number;
}

/**
 * Masks batches with the WebAssembly kernels. One instance owns one kernel memory; it is
 * synchronous and not shared between threads (the loader gives each worker its own).
 */
export class Masker {
  /** The validated parameters every implementation receives. */
  readonly params: Readonly<MaskParams>;
  readonly tier: KernelTier;
  private readonly kernel: MaskKernel;

  /** @param init.tier `simd` (default) or `scalar`, the bit-identical twin. */
  constructor(options: MaskOptions, init: { tier?: KernelTier } = {}) {
    this.params = resolveMaskOptions(options);
    const tier = init.tier ?? 'simd';
    if (tier !== 'simd' && tier !== 'scalar') throw new RangeError(`init.tier must be simd or scalar, got ${describe(tier)}`);
    this.tier = tier;
    this.kernel = new MaskKernel(this.params);
  }

  /**
   * Masks `ids` (row-major `[B, L]` with `B = sampleIds.length`) and returns new buffers.
   * `ids` is not modified. Throws RangeError for an id outside [0, vocabSize) or a bad shape.
   *
   * Ownership: `inputIds` and `labels` are fresh, non-shared buffers owned by the caller.
   */
  mask(ids: Int32Array, sampleIds: ArrayLike<number>, call: MaskCall = {}): MaskedIds {
    const len = checkBatch(ids, sampleIds);
    const rows = sampleIds.length;
    const params = call.epoch === undefined ? this.params : withEpoch(this.params, call.epoch, 'call.epoch');
    const b = this.kernel.reserve(rows, len);
    const n = rows * len;
    this.kernel.arena.i32(b.src, n).set(ids);
    this.kernel.arena.u32(b.sampleIds, rows).set(sampleIds);
    const bad = this.kernel.findInvalid(b, params.vocabSize);
    if (bad >= 0) throw invalidId(ids, bad, len, params.vocabSize);
    if (params !== this.params) this.kernel.setParams(params);
    this.kernel.run(this.tier, b);
    if (params !== this.params) this.kernel.setParams(this.params);
    return { inputIds: this.kernel.arena.i32(b.dst, n).slice(), labels: this.kernel.arena.i32(b.labels, n).slice() };
  }
}

/**
 * The plain TypeScript reference of {@link Masker.mask}, bit-identical to the kernels (the
 * test oracle; slower). Same options, same validation.
 */
export function maskReference(ids: Int32Array, sampleIds: ArrayLike<number>, options: MaskOptions, call: MaskCall = {}): MaskedIds {
  let params = resolveMaskOptions(options);
  if (call.epoch !== undefined) params = withEpoch(params, call.epoch, 'call.epoch');
  const len = checkBatch(ids, sampleIds);
  for (let i = 0; i < ids.length; i++) {
    if (!(ids[i] >= 0 && ids[i] < params.vocabSize)) throw invalidId(ids, i, len, params.vocabSize);
  }
  return maskWithReference(params, ids, sampleIds, len);
}

/** Validates the batch shape and sample ids; returns the row length. */
function checkBatch(ids: Int32Array, sampleIds: ArrayLike<number>): number {
  if (!(ids instanceof Int32Array)) throw new TypeError(`ids must be an Int32Array, got ${describe(ids)}`);
  if (sampleIds === null || typeof sampleIds !== 'object' || typeof sampleIds.length !== 'number') {
    throw new TypeError(`sampleIds must be an array of integers, got ${describe(sampleIds)}`);
  }
  const rows = sampleIds.length;
  for (let r = 0; r < rows; r++) {
    const s = sampleIds[r];
    if (!Number.isInteger(s) || s < 0 || s > U32_MAX) throw new RangeError(`sampleIds[${r}] must be an integer in [0, ${U32_MAX}], got ${describe(s)}`);
  }
  if (rows === 0) {
    if (ids.length !== 0) throw new RangeError(`ids has ${ids.length} elements but sampleIds is empty`);
    return 0;
  }
  if (ids.length % rows !== 0) {
    throw new RangeError(`ids.length (${ids.length}) must be a multiple of sampleIds.length (${rows}): one row of L ids per sample`);
  }
  return ids.length / rows;
}

function invalidId(ids: Int32Array, i: number, len: number, vocabSize: number): RangeError {
  return new RangeError(`ids[${i}] (row ${Math.floor(i / len)}, position ${i % len}) is ${ids[i]}, outside the vocabulary [0, ${vocabSize})`);
}

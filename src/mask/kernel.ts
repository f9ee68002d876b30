/**
 * The host side of the masking kernels: the parameter block, the batch buffers in an arena,
 * and the call. Internal; {@link Masker} is the public face.
 *
 *   params (4096 B) | flags (vocabSize B) | src ids | dst ids | labels | sample ids | scratch (24 × L + 64)
 *                                          '--------------- reserved per batch shape -------------'
 */
import { PARAM as P } from '../wasm/abi.js';
import { Arena, createKernelMemory, FIRST_CLAIM } from '../wasm/arena.js';
import { instantiate, type KernelExports } from '../wasm/module.js';
import type { MaskParams } from './options.js';

export type KernelTier = 'simd' | 'scalar';

/** Buffers of one batch shape inside the arena. */
export interface MaskBuffers {
  rows: number;
  len: number;
  src: number;
  dst: number;
  labels: number;
  sampleIds: number;
  scratch: number;
}

export class MaskKernel {
  readonly arena: Arena;
  readonly exports: KernelExports;
  readonly paramsPtr: number;
  private readonly flagsPtr: number;
  private buffers: MaskBuffers | undefined;

  /** @param memory a memory from `createKernelMemory`, possibly shared with other kernels and threads. */
  constructor(params: MaskParams, memory: WebAssembly.Memory = createKernelMemory()) {
    this.exports = instantiate(memory, FIRST_CLAIM);
    this.arena = new Arena(memory);
    this.paramsPtr = this.arena.claim(P.size);
    this.flagsPtr = this.arena.claim(params.vocabSize);
    this.arena.u8(this.flagsPtr, params.vocabSize).set(params.flags);
    this.setParams(params);
  }

  /** Writes the parameter block (the flags table stays: vocabulary and specials are fixed per kernel). */
  setParams(p: MaskParams): void {
    const v = new DataView(this.arena.memory.buffer, this.paramsPtr, P.size);
    v.setUint32(P.seed, p.seed, true);
    v.setUint32(P.epoch, p.epoch, true);
    v.setUint32(P.tSel, p.tSel, true);
    v.setUint32(P.tMask, p.tMask, true);
    v.setUint32(P.tMr, p.tMr, true);
    v.setInt32(P.maskId, p.maskId, true);
    v.setInt32(P.ignore, p.ignoreIndex, true);
    v.setInt32(P.randLo, p.randLo, true);
    v.setUint32(P.nAllowed, p.nAllowed, true);
    v.setInt32(P.mode, p.selection === 'bernoulli' ? 0 : 1, true);
    v.setInt32(P.wholeWord, p.wholeWord ? 1 : 0, true);
    v.setInt32(P.nSpecial, p.specials.length, true);
    v.setInt32(P.nSkip, p.skip.length, true);
    v.setUint32(P.flags, this.flagsPtr, true);
    v.setFloat64(P.maskProb, p.maskProb, true);
    p.specials.forEach((id, j) => v.setInt32(P.specials + 4 * j, id, true));
    const runs = specialRuns(p.specials);
    v.setInt32(P.nRuns, runs.length, true);
    runs.forEach(([start, length], j) => {
      for (let lane = 0; lane < 4; lane++) {
        v.setInt32(P.runs + 32 * j + 4 * lane, start - 1, true);
        v.setInt32(P.runs + 32 * j + 16 + 4 * lane, start + length, true);
      }
    });
    p.skip.forEach((id, j) => v.setInt32(P.skip + 4 * j, id, true));
    v.setInt32(P.span, p.span ? 1 : 0, true);
    v.setInt32(P.spanWords, p.spanWords ? 1 : 0, true);
    v.setInt32(P.spanMaxLength, p.spanMaxLength, true);
    v.setInt32(P.maxPredictions, p.maxPredictions ?? 0, true);
    p.spanThresholds.forEach((t, j) => v.setUint32(P.spanCdf + 4 * j, t, true));
  }

  /** The buffers for `rows × len`, claimed anew (half as large again) only when the shape outgrows them. */
  reserve(rows: number, len: number): MaskBuffers {
    const b = this.buffers;
    if (b && b.rows * b.len >= rows * len && b.rows >= rows && b.len >= len) return { ...b, rows, len };
    const cap = { rows: Math.max(rows, Math.ceil((b?.rows ?? 0) * 1.5)), len: Math.max(len, b?.len ?? 0) };
    const n = cap.rows * cap.len;
    this.buffers = {
      ...cap,
      src: this.arena.claim(4 * n),
      dst: this.arena.claim(4 * n),
      labels: this.arena.claim(4 * n),
      sampleIds: this.arena.claim(4 * cap.rows),
      scratch: this.arena.claim(scratchBytes(cap.len)),
    };
    return { ...this.buffers, rows, len };
  }

  /** Index of the first id of `src` outside the vocabulary, or -1. */
  findInvalid(b: MaskBuffers, vocabSize: number): number {
    return this.exports.findInvalid(b.src, b.rows * b.len, vocabSize);
  }

  /** Masks `src` into `dst` and `labels` (`src` is left as it was). */
  run(tier: KernelTier, b: MaskBuffers): void {
    const fn = tier === 'simd' ? this.exports.maskSimd : this.exports.maskScalar;
    fn(this.paramsPtr, b.src, b.dst, b.labels, b.rows, b.len, b.sampleIds, b.scratch);
  }
}

/**
 * Bytes of the masking kernels' per-row scratch for rows of up to `len` ids: exact-mode keys
 * (8 × len), whole-word cap marks (len more), span masking's unit tables and spans (about 16.2 × len + 16).
 */
export function scratchBytes(len: number): number {
  return 24 * len + 64;
}

/**
 * Ascending special ids grouped into contiguous runs `[start, length]` (RoBERTa's nine
 * specials are two runs), padded to the two runs the SIMD kernel always tests.
 */
export function specialRuns(specials: Int32Array): [number, number][] {
  const runs: [number, number][] = [];
  for (const id of specials) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === id) last[1]++;
    else runs.push([id, 1]);
  }
  while (runs.length < 2) runs.push([0, 0]); // matches nothing: -1 < v < 0
  return runs;
}

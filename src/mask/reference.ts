/**
 * The plain TypeScript masking reference: the contract written as directly as possible. The
 * WebAssembly kernels must match it bit for bit; tests use it as the oracle and benchmarks as
 * the baseline.
 */
import { HASH, mix32, positionHash, streamKey, uniformBelow } from '../rng.js';
import { FLAG_SPECIAL, FLAG_WORD_START, type MaskParams } from './options.js';

export interface MaskedIds {
  /** Ids after replacement, `[B * L]`. */
  inputIds: Int32Array;
  /** Original ids at selected positions, the ignore index elsewhere, `[B * L]`. */
  labels: Int32Array;
}

/** Masks `ids` (`rows × len`, already validated) for the given sample ids. Does not modify `ids`. */
export function maskWithReference(params: MaskParams, ids: Int32Array, sampleIds: ArrayLike<number>, len: number): MaskedIds {
  const keys = Array.from({ length: sampleIds.length }, (_, r) => streamKey(params.seed, params.epoch, sampleIds[r]));
  return maskRowsWithReference(params, ids, keys, len);
}

/** Masks `ids` (`rows × len`, already validated) row by row with the given stream keys. Does not modify `ids`. */
export function maskRowsWithReference(params: MaskParams, ids: Int32Array, keys: ArrayLike<number>, len: number): MaskedIds {
  const inputIds = ids.slice();
  const labels = new Int32Array(ids.length).fill(params.ignoreIndex);
  for (let r = 0; r < keys.length; r++) {
    maskRow(params, keys[r], inputIds.subarray(r * len, (r + 1) * len), labels.subarray(r * len, (r + 1) * len));
  }
  return { inputIds, labels };
}

function maskRow(p: MaskParams, key: number, ids: Int32Array, labels: Int32Array): void {
  // Units: a token, or under whole-word masking a word (a maximal run of non-special pieces
  // that begins at a word-start piece, at the row's first position, or after a special).
  const unitOf = new Int32Array(ids.length).fill(-1);
  const starts: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const f = p.flags[ids[i]];
    if (f & FLAG_SPECIAL) continue;
    const continues = p.wholeWord && i > 0 && unitOf[i - 1] >= 0 && !(f & FLAG_WORD_START);
    if (!continues) starts.push(i);
    unitOf[i] = starts[starts.length - 1];
  }
  const selected = new Set<number>();
  if (p.selection === 'bernoulli') {
    for (const s of starts) if (positionHash(key, s) >>> 1 < p.tSel) selected.add(s);
  } else {
    const u = mix32((key ^ HASH.rounding) >>> 0) / 4294967296;
    const count = Math.min(starts.length, Math.floor(p.maskProb * starts.length + u));
    const ranked = starts.map((s) => ({ s, h: positionHash(key, s) })).sort((a, b) => a.h - b.h || a.s - b.s);
    for (let j = 0; j < count; j++) selected.add(ranked[j].s);
  }
  for (let i = 0; i < ids.length; i++) {
    const s = unitOf[i];
    if (s < 0 || !selected.has(s)) continue;
    labels[i] = ids[i];
    const d = mix32((positionHash(key, s) ^ HASH.decision) >>> 0) >>> 1;
    if (d < p.tMask) ids[i] = p.maskId;
    else if (d < p.tMr) ids[i] = randomId(p, mix32((positionHash(key, i) ^ HASH.random) >>> 0));
  }
}

/** The `uniformBelow(r, nAllowed)`-th id of the random range that is not special. */
function randomId(p: MaskParams, r: number): number {
  let id = p.randLo + uniformBelow(r, p.nAllowed);
  for (const s of p.skip) {
    if (s > id) break;
    id++;
  }
  return id;
}

// The SIMD masking kernel for token-level selection. Four positions per step, branch-free
// except for the rare random replacements:
//
//   v      = ids[i..i+4]
//   special= OR over runs (first - 1 < v < first + length)   (specials grouped in contiguous runs)
//   h      = mix32x4(key + (i..i+3) * HASH_POSITION)
//   sel    = bernoulli: (h >>> 1) <u tSel    exact (or capped): (h, i) <= (thrHi, thrLo) as one u64 key;  and not special
//   d      = mix32x4(h ^ HASH_DECISION) >>> 1
//   labels = sel ? v : ignore
//   dst    = sel & d <u tMask ? maskId : v
//   then, for lanes with sel & tMask <= d <u tMr (about 1.5% of tokens): dst[lane] = random id
//
// Positions past the last multiple of four take the scalar path: nothing is read or written
// beyond `len` (no over-read).
import { HASH_DECISION, HASH_POSITION, HASH_RANDOM, mix32, mix32x4, positionHash } from '../hash';
import {
  FLAG_SPECIAL, P_FLAGS, P_IGNORE, P_MASK_ID, P_N_RUNS, P_RUNS, P_TMASK, P_TMR, P_TSEL,
} from '../params';
import { BERNOULLI, isSelected, NO_THRESHOLD, randomId, replacement, rowThreshold } from './common';

export const SPLAT_LANE_STEPS = i32x4(0, <i32>HASH_POSITION, <i32>(HASH_POSITION * 2), <i32>(HASH_POSITION * 3));
export const SPLAT_FOUR_STEPS = i32x4.splat(<i32>(HASH_POSITION * 4));
const SPLAT_DECISION = i32x4.splat(<i32>HASH_DECISION);
const SPLAT_LANE_INDEX = i32x4(0, 1, 2, 3);
const SPLAT_FOUR = i32x4.splat(4);

/**
 * Lanes of `v` that hold a special id: `first - 1 < v < first + length` per run (ids are
 * validated, so signed compares suffice), two runs unrolled, the rest (rare) in a loop.
 */
// @ts-ignore: decorator
@inline
export function specialLanes(params: usize, v: v128, nRuns: i32): v128 {
  let acc = v128.or(
    v128.and(i32x4.gt_s(v, v128.load(params + P_RUNS)), i32x4.lt_s(v, v128.load(params + P_RUNS + 16))),
    v128.and(i32x4.gt_s(v, v128.load(params + P_RUNS + 32)), i32x4.lt_s(v, v128.load(params + P_RUNS + 48))),
  );
  for (let j = 2; j < nRuns; j++) {
    const run = params + P_RUNS + (<usize>j << 5);
    acc = v128.or(acc, v128.and(i32x4.gt_s(v, v128.load(run)), i32x4.lt_s(v, v128.load(run + 16))));
  }
  return acc;
}

/** Writes labels and ids of the four positions at `i` given their hashes and selection. */
// @ts-ignore: decorator
@inline
function emit(
  params: usize, dst: usize, labels: usize, key: u32, i: i32, v: v128, h: v128, sel: v128,
  vIgnore: v128, vMaskId: v128, vTMask: v128, vTMr: v128,
): void {
  const off = <usize>i << 2;
  const d = i32x4.shr_u(mix32x4(v128.xor(h, SPLAT_DECISION)), 1);
  const toMask = v128.and(sel, i32x4.le_s(d, vTMask));
  v128.store(labels + off, v128.bitselect(v, vIgnore, sel));
  v128.store(dst + off, v128.bitselect(vMaskId, v, toMask));
  let bits = i32x4.bitmask(v128.andnot(v128.and(sel, i32x4.le_s(d, vTMr)), toMask));
  while (bits) {
    const j = i + ctz(bits);
    const hi = positionHash(key, <u32>j);
    store<i32>(dst + (<usize>j << 2), randomId(params, mix32(hi ^ HASH_RANDOM)));
    bits &= bits - 1;
  }
}

export function maskRowSimd(
  params: usize, src: usize, dst: usize, labels: usize, len: i32, key: u32, scratch: usize,
): void {
  const ignore = load<i32>(params + P_IGNORE);
  const tSel = load<u32>(params + P_TSEL);
  const thr = rowThreshold(params, src, len, key, scratch);
  const nRuns = load<i32>(params + P_N_RUNS);
  const vIgnore = i32x4.splat(ignore);
  const vMaskId = i32x4.splat(load<i32>(params + P_MASK_ID));
  // Thresholds t <= 2^31 compared as `x <= t - 1` on non-negative 31-bit x: signed lanes suffice.
  const vTMask = i32x4.splat(load<i32>(params + P_TMASK) - 1);
  const vTMr = i32x4.splat(load<i32>(params + P_TMR) - 1);
  let vKey = i32x4.add(i32x4.splat(<i32>key), SPLAT_LANE_STEPS);
  let i = 0;
  if (thr == BERNOULLI) {
    const vSel = i32x4.splat(<i32>tSel - 1);
    while (i + 4 <= len) {
      const v = v128.load(src + (<usize>i << 2));
      const h = mix32x4(vKey);
      const sel = v128.andnot(i32x4.le_s(i32x4.shr_u(h, 1), vSel), specialLanes(params, v, nRuns));
      emit(params, dst, labels, key, i, v, h, sel, vIgnore, vMaskId, vTMask, vTMr);
      vKey = i32x4.add(vKey, SPLAT_FOUR_STEPS);
      i += 4;
    }
  } else if (thr != NO_THRESHOLD) {
    const vThrHi = i32x4.splat(<i32>(thr >>> 32));
    const vThrLo = i32x4.splat(<i32>thr);
    let vPos = SPLAT_LANE_INDEX;
    while (i + 4 <= len) {
      const v = v128.load(src + (<usize>i << 2));
      const h = mix32x4(vKey);
      const below = v128.or(i32x4.lt_u(h, vThrHi), v128.and(i32x4.eq(h, vThrHi), i32x4.le_u(vPos, vThrLo)));
      const sel = v128.andnot(below, specialLanes(params, v, nRuns));
      emit(params, dst, labels, key, i, v, h, sel, vIgnore, vMaskId, vTMask, vTMr);
      vKey = i32x4.add(vKey, SPLAT_FOUR_STEPS);
      vPos = i32x4.add(vPos, SPLAT_FOUR);
      i += 4;
    }
  } else {
    while (i + 4 <= len) {
      const off = <usize>i << 2;
      v128.store(labels + off, vIgnore);
      v128.store(dst + off, v128.load(src + off));
      i += 4;
    }
  }
  const flags = load<usize>(params + P_FLAGS);
  for (; i < len; i++) {
    const off = <usize>i << 2;
    const id = load<i32>(src + off);
    const hs = positionHash(key, <u32>i);
    const selected = !(load<u8>(flags + <usize>id) & FLAG_SPECIAL) && isSelected(tSel, thr, hs, i);
    store<i32>(dst + off, selected ? replacement(params, id, hs, hs) : id);
    store<i32>(labels + off, selected ? id : ignore);
  }
}

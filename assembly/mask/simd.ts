// The SIMD masking kernel for token-level selection. Four positions per step:
//
//   v    = ids[i..i+4]                        special = OR_j (v == SPLAT_SPECIAL[j])
//   h    = mix32x4(key + (i..i+3) * HASH_POSITION)
//   sel  = bernoulli: (h >>> 1) <u tSel       exact: (h, i) <= (thrHi, thrLo) as one u64 key
//   labels[i..i+4] = sel ? v : ignore          dst[i..i+4] = v
//   then, for the set lanes of bitmask(sel) (about 15%): dst[lane] = replacement(...)
//
// Rows are processed independently; positions past the last multiple of four take the
// scalar path, so nothing is read or written beyond `len` (no over-read).
import { HASH_POSITION, mix32x4, positionHash } from '../hash';
import { MODE_BERNOULLI, P_IGNORE, P_MODE, P_N_SPECIAL, P_SPLATS, P_TSEL } from '../params';
import { exactThreshold, isSelected, NO_THRESHOLD, replacement } from './common';

const SPLAT_LANE_STEPS = i32x4(0, <i32>HASH_POSITION, <i32>(HASH_POSITION * 2), <i32>(HASH_POSITION * 3));
const SPLAT_FOUR_STEPS = i32x4.splat(<i32>(HASH_POSITION * 4));
const SPLAT_LANE_INDEX = i32x4(0, 1, 2, 3);
const SPLAT_FOUR = i32x4.splat(4);

/** Lanes of `v` equal to any special id. */
// @ts-ignore: decorator
@inline
function specialLanes(params: usize, v: v128, nSpecial: i32): v128 {
  let acc = i32x4.eq(v, v128.load(params + P_SPLATS));
  for (let j = 1; j < nSpecial; j++) {
    acc = v128.or(acc, i32x4.eq(v, v128.load(params + P_SPLATS + (<usize>j << 4))));
  }
  return acc;
}

/** Writes the replacements of the selected lanes in `bits` (a 4-bit lane mask) of one vector. */
// @ts-ignore: decorator
@inline
function patchLanes(params: usize, src: usize, dst: usize, i: i32, bits: i32, key: u32): void {
  while (bits) {
    const j = i + ctz(bits);
    const off = <usize>j << 2;
    const hs = positionHash(key, <u32>j);
    store<i32>(dst + off, replacement(params, load<i32>(src + off), hs, hs));
    bits &= bits - 1;
  }
}

export function maskRowSimd(
  params: usize, src: usize, dst: usize, labels: usize, len: i32, key: u32, scratch: usize,
): void {
  const mode = load<i32>(params + P_MODE);
  const nSpecial = load<i32>(params + P_N_SPECIAL);
  const ignore = load<i32>(params + P_IGNORE);
  const tSel = load<u32>(params + P_TSEL);
  const thr = mode == MODE_BERNOULLI ? NO_THRESHOLD : exactThreshold(params, src, len, key, scratch);
  const vIgnore = i32x4.splat(ignore);
  let vKey = i32x4.add(i32x4.splat(<i32>key), SPLAT_LANE_STEPS);
  let i = 0;
  if (mode == MODE_BERNOULLI) {
    const vSel = i32x4.splat(<i32>tSel);
    while (i + 4 <= len) {
      const off = <usize>i << 2;
      const v = v128.load(src + off);
      const h = mix32x4(vKey);
      const sel = v128.andnot(i32x4.lt_u(i32x4.shr_u(h, 1), vSel), specialLanes(params, v, nSpecial));
      v128.store(labels + off, v128.bitselect(v, vIgnore, sel));
      v128.store(dst + off, v);
      patchLanes(params, src, dst, i, i32x4.bitmask(sel), key);
      vKey = i32x4.add(vKey, SPLAT_FOUR_STEPS);
      i += 4;
    }
  } else if (thr != NO_THRESHOLD) {
    const vThrHi = i32x4.splat(<i32>(thr >>> 32));
    const vThrLo = i32x4.splat(<i32>thr);
    let vPos = SPLAT_LANE_INDEX;
    while (i + 4 <= len) {
      const off = <usize>i << 2;
      const v = v128.load(src + off);
      const h = mix32x4(vKey);
      const below = v128.or(i32x4.lt_u(h, vThrHi), v128.and(i32x4.eq(h, vThrHi), i32x4.le_u(vPos, vThrLo)));
      const sel = v128.andnot(below, specialLanes(params, v, nSpecial));
      v128.store(labels + off, v128.bitselect(v, vIgnore, sel));
      v128.store(dst + off, v);
      patchLanes(params, src, dst, i, i32x4.bitmask(sel), key);
      vKey = i32x4.add(vKey, SPLAT_FOUR_STEPS);
      vPos = i32x4.add(vPos, SPLAT_FOUR);
      i += 4;
    }
  } else {
    while (i + 4 <= len) {
      const off = <usize>i << 2;
      const v = v128.load(src + off);
      v128.store(labels + off, vIgnore);
      v128.store(dst + off, v);
      i += 4;
    }
  }
  for (; i < len; i++) {
    const off = <usize>i << 2;
    const id = load<i32>(src + off);
    const hs = positionHash(key, <u32>i);
    store<i32>(dst + off, id);
    store<i32>(labels + off, ignore);
    if (isSpecialScalar(params, id, nSpecial) || !isSelected(mode, tSel, thr, hs, i)) continue;
    store<i32>(dst + off, replacement(params, id, hs, hs));
    store<i32>(labels + off, id);
  }
}

// @ts-ignore: decorator
@inline
function isSpecialScalar(params: usize, id: i32, nSpecial: i32): bool {
  for (let j = 0; j < nSpecial; j++) {
    if (load<i32>(params + P_SPLATS + (<usize>j << 4)) == id) return true;
  }
  return false;
}

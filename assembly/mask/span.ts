// Span masking (SpanBERT), one path for both tiers: span selection is a short sequential loop
// per row (about 15 spans for a 512-token row at the defaults) with nothing to vectorise; the
// SIMD tier only counts the bernoulli budget four positions at a time (the same count).
//
// Per row (README, "Randomness", span masking):
//   units   = tokens, or words when the store records word starts (P_SPAN_WORDS); none special
//   budget  = bernoulli: #{eligible i : (posHash(k, i) >>> 1) < tSel};  exact: exactCount(nTokens)
//             (at most maxPredictions)
//   span t  = length from posHash(ks, 2t) through the clipped geometric's thresholds, start the
//             uniformBelow(posHash(ks, 2t + 1), free)-th unit not yet covered, ks = mix32(k ^ HASH_SPAN);
//             it covers up to `length` units from its start, stopping before a covered unit, at a
//             special or the row's end, and after the token that uses up the budget
//   decision: one per span, from posHash(k, first position of the span), as a whole word's
//
// Scratch (4 len + 4 (len + 1) + 8 ceil(len / 64) + 8 len bytes, within the host's 24 × len + 64):
// unit starts i32[len] | unit ends i32[len + 1] | a bitset of the uncovered units
// u64[ceil(len / 64)] | spans [first, end) as i32 pairs. Choosing the k-th uncovered unit scans
// the bitset's words with popcnt (8 words for a 512-token row).
import { HASH_DECISION, HASH_RANDOM, HASH_SPAN, mix32, mix32x4, positionHash, uniformBelow } from '../hash';
import {
  FLAG_SPECIAL, MODE_BERNOULLI, P_FLAGS, P_IGNORE, P_MASK_ID, P_MAX_PRED, P_MODE, P_SPAN_CDF,
  P_SPAN_MAX, P_SPAN_WORDS, P_TMASK, P_TMR, P_TSEL,
} from '../params';
import { exactCount, randomId } from './common';
import { SPLAT_FOUR_STEPS, SPLAT_LANE_STEPS } from './simd';

/** Writes the ignore label at positions [from, to) (four at a time). */
// @ts-ignore: decorator
@inline
function fillIgnore(labels: usize, from: i32, to: i32, ignore: i32): void {
  const v = i32x4.splat(ignore);
  let i = from;
  while (i + 4 <= to) {
    v128.store(labels + (<usize>i << 2), v);
    i += 4;
  }
  for (; i < to; i++) store<i32>(labels + (<usize>i << 2), ignore);
}

// @ts-ignore: decorator
@inline
function i32At(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** The span length of draw `h`: 1 plus the number of thresholds (ascending) that `h` reaches. */
// @ts-ignore: decorator
@inline
function spanLength(params: usize, h: u32): i32 {
  const max = load<i32>(params + P_SPAN_MAX);
  let l = 1;
  while (l < max && h >= load<u32>(params + P_SPAN_CDF + (<usize>(l - 1) << 2))) l++;
  return l;
}

/** The position of the (r + 1)-th set bit of `w` (r < popcnt(w)): branch-free binary search. */
// @ts-ignore: decorator
@inline
function selectBit(w: u64, r: i32): i32 {
  let pos = 0;
  for (let shift = 32; shift > 0; shift >>= 1) {
    const c = <i32>popcnt(w & ((<u64>1 << <u64>shift) - 1));
    const take = r >= c;
    w = select(w >> <u64>shift, w, take);
    pos += select(shift, 0, take);
    r -= select(c, 0, take);
  }
  return pos;
}

/** The 0-based index of the (k + 1)-th uncovered unit, k < the uncovered units, in the bitset `free` (bit set: uncovered). */
// @ts-ignore: decorator
@inline
function kthFree(free: usize, k: i32): i32 {
  let w = 0;
  let rem = k;
  while (true) {
    const c = <i32>popcnt(load<u64>(free + (<usize>w << 3)));
    if (rem < c) break;
    rem -= c;
    w++;
  }
  return (w << 6) + selectBit(load<u64>(free + (<usize>w << 3)), rem);
}

/**
 * The number of positions `i < len`, specials included, with `(posHash(key, i) >>> 1) < tSel`,
 * four at a time in the SIMD tier (the same count); the caller subtracts the specials'.
 */
function hashHits(simd: bool, tSel: u32, len: i32, key: u32): i32 {
  let c = 0;
  let i = 0;
  if (simd) {
    const vSel = i32x4.splat(<i32>tSel - 1);
    let vKey = i32x4.add(i32x4.splat(<i32>key), SPLAT_LANE_STEPS);
    while (i + 4 <= len) {
      c += <i32>popcnt(i32x4.bitmask(i32x4.le_s(i32x4.shr_u(mix32x4(vKey), 1), vSel)));
      vKey = i32x4.add(vKey, SPLAT_FOUR_STEPS);
      i += 4;
    }
  }
  for (; i < len; i++) if ((positionHash(key, <u32>i) >>> 1) < tSel) c++;
  return c;
}

/**
 * Masks one row with spans. Both tiers choose the spans with the same scalar loop (`simd` only
 * vectorises the bernoulli budget's count, which gives the same number); the output is then a
 * copy of the row, the ignore label everywhere, and the spans written over them.
 */
export function maskRowSpan(
  simd: bool, params: usize, src: usize, dst: usize, labels: usize, len: i32, key: u32, scratch: usize,
): void {
  const flags = load<usize>(params + P_FLAGS);
  const words = load<i32>(params + P_SPAN_WORDS) != 0;
  const ignore = load<i32>(params + P_IGNORE);
  const cap = load<i32>(params + P_MAX_PRED);
  const uStart = scratch;
  const uEnd = scratch + (<usize>len << 2);
  const bits = uEnd + (<usize>(len + 1) << 2);
  const spans = bits + (<usize>((len + 63) >> 6) << 3);
  // Units, branch-free: the first position of each is written at uStart[n], n advanced when it starts one.
  const wordBit: u32 = words ? 0 : 1;
  let n = 0;
  let nTok = 0;
  let prevEligible: u32 = 0;
  const bernoulli = load<i32>(params + P_MODE) == MODE_BERNOULLI;
  const tSel = load<u32>(params + P_TSEL);
  let specialHits = 0;
  for (let i = 0; i < len; i++) {
    const f = <u32>load<u8>(flags + <usize>load<i32>(src + (<usize>i << 2)));
    const eligible = (f & FLAG_SPECIAL) ^ 1;
    store<i32>(i32At(uStart, n), i);
    n += <i32>(eligible & (wordBit | (prevEligible ^ 1) | (f >>> 1)));
    // The unit's end so far (a special writes to the spare slot at `len`).
    store<i32>(i32At(uEnd, select(n - 1, len, eligible != 0)), i + 1);
    nTok += <i32>eligible;
    prevEligible = eligible;
    if (bernoulli && !eligible && (positionHash(key, <u32>i) >>> 1) < tSel) specialHits++;
  }
  // The bernoulli budget: the eligible positions with (posHash(key, i) >>> 1) < tSel.
  let budget = bernoulli ? hashHits(simd, tSel, len, key) - specialHits : exactCount(params, nTok, key);
  if (cap > 0 && budget > cap) budget = cap;
  const ks = mix32(key ^ HASH_SPAN);
  let used = 0;
  let free = n;
  let t: u32 = 0;
  let nSpans = 0;
  if (budget > 0) {
    const full = n >> 6;
    for (let w = 0; w < full; w++) store<u64>(bits + (<usize>w << 3), 0xffffffffffffffff);
    if (n & 63) store<u64>(bits + (<usize>full << 3), (<u64>1 << <u64>(n & 63)) - 1);
  }
  while (used < budget && free > 0) {
    const length = spanLength(params, positionHash(ks, t << 1));
    let j = kthFree(bits, <i32>uniformBelow(positionHash(ks, (t << 1) + 1), <u32>free));
    t++;
    const s = load<i32>(i32At(uStart, j));
    let e = s;
    let taken = 0;
    while (true) {
      const word = bits + (<usize>(j >> 6) << 3);
      store<u64>(word, load<u64>(word) & ~(<u64>1 << <u64>(j & 63)));
      free--;
      const b = load<i32>(i32At(uStart, j));
      e = load<i32>(i32At(uEnd, j));
      if (used + (e - b) >= budget) {
        e = b + (budget - used);
        used = budget;
        break;
      }
      used += e - b;
      if (++taken == length) break;
      j++;
      if (j >= n || load<i32>(i32At(uStart, j)) != e || !((load<u64>(bits + (<usize>(j >> 6) << 3)) >> <u64>(j & 63)) & 1)) break;
    }
    store<i32>(spans + (<usize>nSpans << 3), s);
    store<i32>(spans + (<usize>nSpans << 3), e, 4);
    nSpans++;
  }
  // Output: every span is a run of eligible positions [s, e) with one decision. Labels first
  // (ignore everywhere, then the spans' ids), since `dst` may be `src`.
  fillIgnore(labels, 0, len, ignore);
  if (dst != src) memory.copy(dst, src, <usize>len << 2);
  const tMask = load<u32>(params + P_TMASK);
  const tMr = load<u32>(params + P_TMR);
  const maskId = load<i32>(params + P_MASK_ID);
  for (let k = 0; k < nSpans; k++) {
    const s = load<i32>(spans + (<usize>k << 3));
    const e = load<i32>(spans + (<usize>k << 3), 4);
    const d = mix32(positionHash(key, <u32>s) ^ HASH_DECISION) >>> 1;
    if (d < tMask) {
      for (let i = s; i < e; i++) {
        const off = <usize>i << 2;
        store<i32>(labels + off, load<i32>(src + off));
        store<i32>(dst + off, maskId);
      }
    } else if (d < tMr) {
      for (let i = s; i < e; i++) {
        const off = <usize>i << 2;
        store<i32>(labels + off, load<i32>(src + off));
        store<i32>(dst + off, randomId(params, mix32(positionHash(key, <u32>i) ^ HASH_RANDOM)));
      }
    } else {
      for (let i = s; i < e; i++) store<i32>(labels + (<usize>i << 2), load<i32>(src + (<usize>i << 2)));
    }
  }
}

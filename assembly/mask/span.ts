// Span masking (SpanBERT), the scalar path of both tiers: span selection is a short sequential
// loop per row (a few dozen spans of a 512-token row), with nothing to vectorise but the last
// pass, which is dominated by the same replacement logic as whole-word masking.
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
// Scratch (16 × len + 4 bytes): unit starts i32[n] | unit ends i32[n] | cover i32[n] (first
// position of the covering span, or -1) | Fenwick tree of uncovered units i32[n + 1] (1-based).
import { HASH_SPAN, mix32, positionHash, uniformBelow } from '../hash';
import {
  FLAG_SPECIAL, FLAG_WORD_START, MODE_BERNOULLI, P_FLAGS, P_IGNORE, P_MAX_PRED, P_MODE, P_SPAN_CDF, P_SPAN_MAX,
  P_SPAN_WORDS, P_TSEL,
} from '../params';
import { exactCount, replacement } from './common';

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

/** The 0-based index of the (k + 1)-th uncovered unit: Fenwick descent from the highest power of two `top` <= n. */
// @ts-ignore: decorator
@inline
function kthFree(tree: usize, n: i32, top: i32, k: i32): i32 {
  let pos = 0;
  let rem = k;
  for (let step = top; step > 0; step >>= 1) {
    const next = pos + step;
    if (next <= n) {
      const v = load<i32>(i32At(tree, next));
      if (v <= rem) {
        pos = next;
        rem -= v;
      }
    }
  }
  return pos;
}

/** Masks one row with spans (both tiers). */
export function maskRowSpan(
  params: usize, src: usize, dst: usize, labels: usize, len: i32, key: u32, scratch: usize,
): void {
  const flags = load<usize>(params + P_FLAGS);
  const words = load<i32>(params + P_SPAN_WORDS) != 0;
  const bernoulli = load<i32>(params + P_MODE) == MODE_BERNOULLI;
  const tSel = load<u32>(params + P_TSEL);
  const ignore = load<i32>(params + P_IGNORE);
  const cap = load<i32>(params + P_MAX_PRED);
  const uStart = scratch;
  const uEnd = scratch + (<usize>len << 2);
  const cover = scratch + (<usize>len << 3);
  const tree = scratch + <usize>len * 12;
  let n = 0;
  let nTok = 0;
  let drawn = 0;
  let prevEligible = false;
  for (let i = 0; i < len; i++) {
    const f = load<u8>(flags + <usize>load<i32>(src + (<usize>i << 2)));
    if (f & FLAG_SPECIAL) {
      prevEligible = false;
      continue;
    }
    if (!words || !prevEligible || (f & FLAG_WORD_START)) {
      store<i32>(i32At(uStart, n), i);
      store<i32>(i32At(cover, n), -1);
      n++;
      store<i32>(i32At(tree, n), n & -n);
    }
    store<i32>(i32At(uEnd, n - 1), i + 1);
    prevEligible = true;
    nTok++;
    if (bernoulli && (positionHash(key, <u32>i) >>> 1) < tSel) drawn++;
  }
  let budget = bernoulli ? drawn : exactCount(params, nTok, key);
  if (cap > 0 && budget > cap) budget = cap;
  let top = 1;
  while (top <= (n >> 1)) top <<= 1;
  const ks = mix32(key ^ HASH_SPAN);
  let used = 0;
  let free = n;
  let t: u32 = 0;
  let cutUnit = -1;
  let cutEnd = 0;
  while (used < budget && free > 0) {
    const length = spanLength(params, positionHash(ks, t << 1));
    let j = kthFree(tree, n, top, <i32>uniformBelow(positionHash(ks, (t << 1) + 1), <u32>free));
    t++;
    const s = load<i32>(i32At(uStart, j));
    let taken = 0;
    while (true) {
      store<i32>(i32At(cover, j), s);
      for (let x = j + 1; x <= n; x += x & -x) store<i32>(i32At(tree, x), load<i32>(i32At(tree, x)) - 1);
      free--;
      const b = load<i32>(i32At(uStart, j));
      const e = load<i32>(i32At(uEnd, j));
      if (used + (e - b) >= budget) {
        cutUnit = j;
        cutEnd = b + (budget - used);
        used = budget;
        break;
      }
      used += e - b;
      if (++taken == length) break;
      j++;
      if (j >= n || load<i32>(i32At(uStart, j)) != e || load<i32>(i32At(cover, j)) >= 0) break;
    }
  }
  let u = -1;
  let c = -1;
  let hs: u32 = 0;
  for (let i = 0; i < len; i++) {
    const off = <usize>i << 2;
    const id = load<i32>(src + off);
    if (load<u8>(flags + <usize>id) & FLAG_SPECIAL) {
      store<i32>(dst + off, id);
      store<i32>(labels + off, ignore);
      continue;
    }
    if (u + 1 < n && load<i32>(i32At(uStart, u + 1)) == i) u++;
    const cj = load<i32>(i32At(cover, u));
    if (cj >= 0 && !(u == cutUnit && i >= cutEnd)) {
      if (cj != c) {
        c = cj;
        hs = positionHash(key, <u32>c);
      }
      store<i32>(dst + off, replacement(params, id, hs, positionHash(key, <u32>i)));
      store<i32>(labels + off, id);
    } else {
      store<i32>(dst + off, id);
      store<i32>(labels + off, ignore);
    }
  }
}

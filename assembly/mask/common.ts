// Scalar pieces of the masking contract shared by the SIMD kernel and its scalar twin.
import { HASH_DECISION, HASH_RANDOM, HASH_ROUNDING, mix32, positionHash, uniformBelow } from '../hash';
import {
  FLAG_SPECIAL, FLAG_WORD_START, MODE_BERNOULLI, P_FLAGS, P_IGNORE, P_MASK_ID, P_MASK_PROB, P_MAX_PRED,
  P_MODE, P_N_ALLOWED, P_N_SKIP, P_RAND_LO, P_SKIP, P_TMASK, P_TMR, P_TSEL, P_WHOLE_WORD,
} from '../params';

/** Threshold meaning "select nothing": no real key has 0xffffffff in its position half. */
export const NO_THRESHOLD: u64 = 0xffffffffffffffff;
/** Threshold meaning "bernoulli selection": `(hs >>> 1) < tSel` (no real key has 0xfffffffe in its position half). */
export const BERNOULLI: u64 = 0xfffffffffffffffe;

/** The sort key of a unit in exact mode: hash in the high half, first position in the low half. */
// @ts-ignore: decorator
@inline
export function unitKey(hs: u32, s: i32): u64 {
  return (<u64>hs << 32) | <u64><u32>s;
}

/** The `index`-th id of [randLo, randHi) that is not special (ascending order). */
// @ts-ignore: decorator
@inline
export function randomId(params: usize, r: u32): i32 {
  let id = load<i32>(params + P_RAND_LO) + <i32>uniformBelow(r, load<u32>(params + P_N_ALLOWED));
  const nSkip = load<i32>(params + P_N_SKIP);
  for (let j = 0; j < nSkip; j++) {
    if (load<i32>(params + P_SKIP + (<usize>j << 2)) > id) break;
    id++;
  }
  return id;
}

/**
 * The input id written at a selected position: `<mask>`, a random id, or the original,
 * decided by the unit hash `hs` (shared by a whole word) and, for the random id, the
 * position's own hash `hi`.
 */
export function replacement(params: usize, id: i32, hs: u32, hi: u32): i32 {
  const d = mix32(hs ^ HASH_DECISION) >>> 1;
  if (d < load<u32>(params + P_TMASK)) return load<i32>(params + P_MASK_ID);
  if (d < load<u32>(params + P_TMR)) return randomId(params, mix32(hi ^ HASH_RANDOM));
  return id;
}

/**
 * Collects the key of every unit (token, or word under whole-word masking) of one row in
 * `scratch` (8 bytes each) and returns their number.
 */
function collectKeys(params: usize, src: usize, len: i32, key: u32, scratch: usize): i32 {
  const flags = load<usize>(params + P_FLAGS);
  const wholeWord = load<i32>(params + P_WHOLE_WORD) != 0;
  let n = 0;
  let prevEligible = false;
  for (let i = 0; i < len; i++) {
    const f = load<u8>(flags + <usize>load<i32>(src + (<usize>i << 2)));
    if (f & FLAG_SPECIAL) {
      prevEligible = false;
      continue;
    }
    if (!wholeWord || !prevEligible || (f & FLAG_WORD_START)) {
      store<u64>(scratch + (<usize>n << 3), unitKey(positionHash(key, <u32>i), i));
      n++;
    }
    prevEligible = true;
  }
  return n;
}

/** `floor(maskProb * n + u)` with the row's rounding draw `u`, at most `n`: exact mode's count (and span mode's budget). */
export function exactCount(params: usize, n: i32, key: u32): i32 {
  const u = <f64>mix32(key ^ HASH_ROUNDING) / 4294967296.0;
  const count = <i32>Math.floor(load<f64>(params + P_MASK_PROB) * <f64>n + u);
  return count > n ? n : count;
}

/**
 * The selection threshold of one row: BERNOULLI (select a unit when `(hs >>> 1) < tSel`), or a
 * unit key (select the units whose key is <= it), or NO_THRESHOLD (select nothing).
 *
 * Exact mode draws the count `floor(maskProb * n + u)` of `n` units and returns the key of the
 * count-th smallest. With `maxPredictions` N and token units, the count is at most N, and a
 * bernoulli row with more than N selected tokens keeps its N smallest keys (all of them are
 * selected: the selected tokens are exactly those of smallest hash), so both become a
 * threshold. Whole words are capped afterwards (wordCapMarks). Uses `scratch` (8 × len bytes).
 */
export function rowThreshold(params: usize, src: usize, len: i32, key: u32, scratch: usize): u64 {
  const mode = load<i32>(params + P_MODE);
  const cap = load<i32>(params + P_MAX_PRED);
  const wholeWord = load<i32>(params + P_WHOLE_WORD) != 0;
  let count: i32;
  if (mode == MODE_BERNOULLI) {
    if (cap == 0 || wholeWord) return BERNOULLI;
    const flags = load<usize>(params + P_FLAGS);
    const tSel = load<u32>(params + P_TSEL);
    let c = 0;
    for (let i = 0; i < len; i++) {
      if (load<u8>(flags + <usize>load<i32>(src + (<usize>i << 2))) & FLAG_SPECIAL) continue;
      if ((positionHash(key, <u32>i) >>> 1) < tSel) c++;
    }
    if (c <= cap) return BERNOULLI;
    count = cap;
  } else {
    count = -1;
  }
  const n = collectKeys(params, src, len, key, scratch);
  if (count < 0) {
    count = exactCount(params, n, key);
    if (cap > 0 && !wholeWord && count > cap) count = cap;
  }
  if (count <= 0) return NO_THRESHOLD;
  return selectKth(scratch, n, count - 1);
}

/** The k-th smallest (0-based) of `n` distinct u64 keys at `base` (iterative quickselect, reorders them). */
function selectKth(base: usize, n: i32, k: i32): u64 {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >> 1);
    const pivot = median3(load<u64>(at(base, lo)), load<u64>(at(base, mid)), load<u64>(at(base, hi)));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (load<u64>(at(base, i)) < pivot) i++;
      while (load<u64>(at(base, j)) > pivot) j--;
      if (i <= j) {
        const t = load<u64>(at(base, i));
        store<u64>(at(base, i), load<u64>(at(base, j)));
        store<u64>(at(base, j), t);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return load<u64>(at(base, k));
}

// @ts-ignore: decorator
@inline
function at(base: usize, i: i32): usize {
  return base + (<usize>i << 3);
}

// @ts-ignore: decorator
@inline
function median3(a: u64, b: u64, c: u64): u64 {
  return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
}

/** Whether a unit whose first position is `s` with hash `hs` is selected under the row's threshold `thr`. */
// @ts-ignore: decorator
@inline
export function isSelected(tSel: u32, thr: u64, hs: u32, s: i32): bool {
  if (thr == BERNOULLI) return (hs >>> 1) < tSel;
  return thr != NO_THRESHOLD && unitKey(hs, s) <= thr;
}

/** Sorts `n` u64 keys at `base` ascending (heapsort: in place, no recursion). */
function sortKeys(base: usize, n: i32): void {
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(base, i, n);
  for (let end = n - 1; end > 0; end--) {
    const t = load<u64>(at(base, 0));
    store<u64>(at(base, 0), load<u64>(at(base, end)));
    store<u64>(at(base, end), t);
    siftDown(base, 0, end);
  }
}

function siftDown(base: usize, i: i32, n: i32): void {
  const v = load<u64>(at(base, i));
  while (true) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && load<u64>(at(base, c + 1)) > load<u64>(at(base, c))) c++;
    const w = load<u64>(at(base, c));
    if (w <= v) break;
    store<u64>(at(base, i), w);
    i = c;
  }
  store<u64>(at(base, i), v);
}

/**
 * `maxPredictions` for whole words: when the row's selected words hold more than N tokens,
 * keeps words in ascending key order while their tokens fit in N (skipping a word that does not
 * fit, as BERT), marks the first position of each kept word in the `len` bytes at
 * `scratch + 8 × len`, and returns true; returns false when nothing needs dropping.
 */
function wordCapMarks(params: usize, src: usize, len: i32, key: u32, scratch: usize, thr: u64): bool {
  const cap = load<i32>(params + P_MAX_PRED);
  const flags = load<usize>(params + P_FLAGS);
  const tSel = load<u32>(params + P_TSEL);
  let n = 0;
  let total = 0;
  let prevEligible = false;
  let selected = false;
  for (let i = 0; i < len; i++) {
    const f = load<u8>(flags + <usize>load<i32>(src + (<usize>i << 2)));
    if (f & FLAG_SPECIAL) {
      prevEligible = false;
      continue;
    }
    if (!prevEligible || (f & FLAG_WORD_START)) {
      const hs = positionHash(key, <u32>i);
      selected = isSelected(tSel, thr, hs, i);
      if (selected) {
        store<u64>(at(scratch, n), unitKey(hs, i));
        n++;
      }
    }
    prevEligible = true;
    if (selected) total++;
  }
  if (total <= cap) return false;
  sortKeys(scratch, n);
  const marks = scratch + (<usize>len << 3);
  memory.fill(marks, 0, <usize>len);
  let used = 0;
  for (let j = 0; j < n && used < cap; j++) {
    const s = <i32>load<u32>(at(scratch, j));
    let e = s + 1;
    while (e < len) {
      const f = load<u8>(flags + <usize>load<i32>(src + (<usize>e << 2)));
      if ((f & FLAG_SPECIAL) || (f & FLAG_WORD_START)) break;
      e++;
    }
    if (used + (e - s) <= cap) {
      store<u8>(marks + <usize>s, 1);
      used += e - s;
    }
  }
  return true;
}

/**
 * Masks one row position by position (the scalar twin, and the SIMD kernel's path for
 * whole-word masking, whose word-start lookups are gathers).
 */
export function maskRowScalar(
  params: usize, src: usize, dst: usize, labels: usize, len: i32, key: u32, scratch: usize,
): void {
  const flags = load<usize>(params + P_FLAGS);
  const wholeWord = load<i32>(params + P_WHOLE_WORD) != 0;
  const ignore = load<i32>(params + P_IGNORE);
  const tSel = load<u32>(params + P_TSEL);
  const thr = rowThreshold(params, src, len, key, scratch);
  const capped = wholeWord && load<i32>(params + P_MAX_PRED) > 0 && thr != NO_THRESHOLD
    && wordCapMarks(params, src, len, key, scratch, thr);
  const marks = scratch + (<usize>len << 3);
  let prevEligible = false;
  let selected = false;
  let hs: u32 = 0;
  for (let i = 0; i < len; i++) {
    const off = <usize>i << 2;
    const id = load<i32>(src + off);
    const f = load<u8>(flags + <usize>id);
    if (f & FLAG_SPECIAL) {
      store<i32>(dst + off, id);
      store<i32>(labels + off, ignore);
      prevEligible = false;
      continue;
    }
    const hi = positionHash(key, <u32>i);
    if (!wholeWord || !prevEligible || (f & FLAG_WORD_START)) {
      hs = hi;
      selected = capped ? load<u8>(marks + <usize>i) != 0 : isSelected(tSel, thr, hs, i);
    }
    prevEligible = true;
    if (selected) {
      store<i32>(dst + off, replacement(params, id, hs, hi));
      store<i32>(labels + off, id);
    } else {
      store<i32>(dst + off, id);
      store<i32>(labels + off, ignore);
    }
  }
}

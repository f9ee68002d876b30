// Batch forms of the collate kernel: the row layout (padded rows of `width`, or packed rows back
// to back with no padding) and the label form (dense labels, or the sparse list of the masked
// positions and their original ids, extracted from each row's labels right after it is masked,
// while it is still in cache).
//
// The form block the host writes (FORM_SIZE bytes, i32/u32 fields; a null block is padded dense):
//
//   0 flags         FORM_PACKED | FORM_SPARSE
//   4 tokenBase     u32: flat index (into the whole batch's tokens) of the call's first output token
//   8 maskedBase    i32: masked positions the batch had before this call
//  12 positions ptr i32 out: flat position of each masked token (tokenBase + offset), increasing
//  16 maskedIds ptr i32 out: its label (the original id)
//  20 rowStart ptr  i32 out: per row of the call, maskedBase + masked positions before the row
//
// Packed: row r starts where row r - 1 ended; the `attention` output, when given, receives the
// row's position ids (0, 1, …, length - 1) instead of an attention mask; nothing is padded.
export const FORM_PACKED: i32 = 1;
export const FORM_SPARSE: i32 = 2;
export const F_FLAGS: usize = 0;
export const F_TOKEN_BASE: usize = 4;
export const F_MASKED_BASE: usize = 8;
export const F_POSITIONS: usize = 12;
export const F_MASKED_IDS: usize = 16;
export const F_ROW_START: usize = 20;
export const FORM_SIZE: usize = 32;

const SPLAT_IOTA = i32x4(0, 1, 2, 3);
const SPLAT_FOUR = i32x4.splat(4);

/** Writes 0, 1, …, n - 1 as i32 at `dst` (position ids of a packed row). */
// @ts-ignore: decorator
@inline
export function iota(simd: bool, dst: usize, n: i32): void {
  let i = 0;
  if (simd) {
    let v = SPLAT_IOTA;
    while (i + 4 <= n) {
      v128.store(dst + (<usize>i << 2), v);
      v = i32x4.add(v, SPLAT_FOUR);
      i += 4;
    }
  }
  for (; i < n; i++) store<i32>(dst + (<usize>i << 2), i);
}

/**
 * Per 4-bit lane mask m, the byte shuffle (`i8x16.swizzle`) that moves the i32 lanes whose bit is
 * set to the front, in order (16 bytes per mask).
 */
const COMPACT: usize = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0,
  8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0,
  12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0,
  8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
], 16);

/**
 * Appends the positions `first + j` and labels of the `n` labels at `labels` that are not
 * `ignore`, in increasing order, at `positions` / `ids` from entry `count`; returns the new count.
 * The SIMD tier is branch-free: per four labels one compare, a 4-bit mask, and the lanes it
 * selects moved to the front by a shuffle from a 16-entry table, stored as a whole v128 at the
 * current count, which then advances by the mask's popcount. Over-write contract: each store
 * writes four entries from `count`, up to three past the entries kept (later overwritten); they
 * stay within the four entries per label the host's lists reserve (the kept count never passes
 * the labels scanned). Positions past the last multiple of four take the scalar path (no over-read).
 */
export function extractMasked(
  simd: bool, labels: usize, n: i32, ignore: i32, first: u32, positions: usize, ids: usize, count: i32,
): i32 {
  let j = 0;
  if (simd) {
    const vIgnore = i32x4.splat(ignore);
    let vPos = i32x4.add(i32x4.splat(<i32>first), SPLAT_IOTA);
    while (j + 4 <= n) {
      const v = v128.load(labels + (<usize>j << 2));
      const m = i32x4.bitmask(v128.not(i32x4.eq(v, vIgnore)));
      const shuffle = v128.load(COMPACT + (<usize>m << 4));
      const at = <usize>count << 2;
      v128.store(positions + at, i8x16.swizzle(vPos, shuffle));
      v128.store(ids + at, i8x16.swizzle(v, shuffle));
      count += <i32>popcnt(m);
      vPos = i32x4.add(vPos, SPLAT_FOUR);
      j += 4;
    }
  }
  for (; j < n; j++) {
    const label = load<i32>(labels + (<usize>j << 2));
    if (label == ignore) continue;
    store<i32>(positions + (<usize>count << 2), <i32>(first + <u32>j));
    store<i32>(ids + (<usize>count << 2), label);
    count++;
  }
  return count;
}

// The fused collate + mask kernel: for each row, gather its items (literal special tokens and
// spans of the store's flat token sequence) into the output ids, write attention mask and
// token type ids, pad, then mask the row's real tokens in place while it is still in cache.
//
// Plan encoding (src/wasm/abi.ts): `items` holds ITEM_WORDS i32 per item, [kindAndType, a, b]:
//   kind = kindAndType & 1:  ITEM_LITERAL: token a;  ITEM_SPAN: b store elements from element a
//                            of this memory (u32: byte address a * elemSize)
//   type = kindAndType >>> 1 (token type id)
// Row r owns items rowItemStart[r] .. rowItemStart[r + 1]. The host puts the store's tokens in
// this memory (the whole store, or per batch just the spans the plan needs) and writes `a`.
// The batch form (padded or packed rows, dense or sparse labels) is the `form` block's
// (`assembly/forms.ts`); a null `form` is padded rows with dense labels.
import {
  extractMasked, F_FLAGS, F_MASKED_BASE, F_MASKED_IDS, F_POSITIONS, F_ROW_START, F_TOKEN_BASE, FORM_PACKED, FORM_SPARSE, iota,
} from './forms';
import { maskRow } from './mask/row';
import { P_IGNORE } from './params';

export const ITEM_LITERAL: i32 = 0;
export const ITEM_SPAN: i32 = 1;
export const ITEM_WORDS: i32 = 3;

/** Status: a row's items do not fit in `width` (the host checks first; the kernel never writes past). */
export const ERR_ROW_OVERFLOW: i32 = -1;

/**
 * Collates and masks `rows` rows of at most `width` tokens. Spans address store elements of size
 * `elemSize` (2: uint16, 4: int32) anywhere in memory; they must lie inside what the host loaded
 * (checked by the host). Row r is masked with the stream key `rowKeys[r]` (u32, see the README's
 * "Randomness"). Padded (a null `form`, or one without FORM_PACKED): outputs are row-major i32
 * `[rows, width]`; packed: the rows back to back, `sum(lengths)` i32 each, `attention` holding
 * position ids. `attention` or `types` 0 skips that output (the host fills an attention mask
 * from the row lengths itself; single formats have no types). With FORM_SPARSE each row's
 * masked positions are appended to the form block's lists once the row is masked (the dense
 * labels are still written: the sparse lists are read from them). Returns the count of masked
 * positions written (0 without FORM_SPARSE), or ERR_ROW_OVERFLOW - r for row r.
 */
export function collate(
  simd: bool, params: usize, pad: i32, elemSize: i32, items: usize, rowItemStart: usize,
  rows: i32, width: i32, rowKeys: usize, ids: usize, labels: usize, attention: usize, types: usize, scratch: usize,
  form: usize,
): i32 {
  const ignore = load<i32>(params + P_IGNORE);
  const flags = form ? load<i32>(form + F_FLAGS) : 0;
  const packed = (flags & FORM_PACKED) != 0;
  const sparse = (flags & FORM_SPARSE) != 0;
  const rowBytes = <usize>width << 2;
  let next: usize = 0; // packed: byte offset of the next row
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const off = packed ? next : <usize>r * rowBytes;
    const first = load<i32>(rowItemStart + (<usize>r << 2));
    const last = load<i32>(rowItemStart + (<usize>(r + 1) << 2));
    let pos = 0;
    for (let k = first; k < last; k++) {
      const item = items + <usize>k * (<usize>ITEM_WORDS << 2);
      const kind = load<i32>(item);
      const a = load<u32>(item, 4);
      const n = (kind & ITEM_SPAN) ? load<i32>(item, 8) : 1;
      if (n < 0 || pos + n > width) return ERR_ROW_OVERFLOW - r;
      const at = off + (<usize>pos << 2);
      if (kind & ITEM_SPAN) gather(simd, ids + at, <usize>a * <usize>elemSize, elemSize, n);
      else store<i32>(ids + at, <i32>a);
      if (types) fill(types + at, kind >>> 1, n);
      pos += n;
    }
    const padAt = off + (<usize>pos << 2);
    if (packed) {
      if (attention) iota(simd, attention + off, pos);
      next = padAt;
    } else {
      if (attention) {
        fill(attention + off, 1, pos);
        fill(attention + padAt, 0, width - pos);
      }
      if (types) fill(types + padAt, 0, width - pos);
      fill(ids + padAt, pad, width - pos);
      fill(labels + padAt, ignore, width - pos);
    }
    const key = load<u32>(rowKeys + (<usize>r << 2));
    maskRow(simd, params, ids + off, ids + off, labels + off, pos, key, scratch);
    if (sparse) {
      store<i32>(load<usize>(form + F_ROW_START) + (<usize>r << 2), load<i32>(form + F_MASKED_BASE) + count);
      const first = load<u32>(form + F_TOKEN_BASE) + <u32>(off >>> 2);
      count = extractMasked(simd, labels + off, pos, ignore, first, load<usize>(form + F_POSITIONS), load<usize>(form + F_MASKED_IDS), count);
    }
  }
  return count;
}

/** Copies `n` store elements to i32s; uint16 widens eight at a time in the SIMD tier. */
// @ts-ignore: decorator
@inline
function gather(simd: bool, dst: usize, src: usize, elemSize: i32, n: i32): void {
  if (elemSize == 4) {
    memory.copy(dst, src, <usize>n << 2);
    return;
  }
  let i = 0;
  if (simd) {
    while (i + 8 <= n) {
      const v = v128.load(src + (<usize>i << 1));
      v128.store(dst + (<usize>i << 2), i32x4.extend_low_i16x8_u(v));
      v128.store(dst + (<usize>i << 2), i32x4.extend_high_i16x8_u(v), 16);
      i += 8;
    }
  }
  for (; i < n; i++) store<i32>(dst + (<usize>i << 2), <i32>load<u16>(src + (<usize>i << 1)));
}

/** Writes `n` copies of the i32 `value` at `dst`. */
// @ts-ignore: decorator
@inline
function fill(dst: usize, value: i32, n: i32): void {
  if (n <= 0) return;
  if (value == 0) {
    memory.fill(dst, 0, <usize>n << 2);
    return;
  }
  const v = i32x4.splat(value);
  let i = 0;
  while (i + 4 <= n) {
    v128.store(dst + (<usize>i << 2), v);
    i += 4;
  }
  for (; i < n; i++) store<i32>(dst + (<usize>i << 2), value);
}

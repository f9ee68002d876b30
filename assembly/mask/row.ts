// Which masking path a row takes: span masking, the SIMD kernel (token units), or the scalar
// twin (the scalar tier, and whole-word masking in both tiers).
import { P_SPAN, P_WHOLE_WORD } from '../params';
import { maskRowScalar } from './common';
import { maskRowSimd } from './simd';
import { maskRowSpan } from './span';

/** Masks one row of `len` ids at `src` into `dst` (may equal `src`) and `labels` with stream key `key`. */
// @ts-ignore: decorator
@inline
export function maskRow(
  simd: bool, params: usize, src: usize, dst: usize, labels: usize, len: i32, key: u32, scratch: usize,
): void {
  if (load<i32>(params + P_SPAN) != 0) maskRowSpan(simd, params, src, dst, labels, len, key, scratch);
  else if (simd && load<i32>(params + P_WHOLE_WORD) == 0) maskRowSimd(params, src, dst, labels, len, key, scratch);
  else maskRowScalar(params, src, dst, labels, len, key, scratch);
}

// Input checks run by the host before a kernel, so no kernel ever indexes past a table.

/**
 * Index of the first id in `ids[0..n)` outside [0, vocabSize), or -1. Sixteen ids per step
 * (ids are compared as unsigned, so negatives count as too large), then a scalar tail.
 */
export function findInvalid(ids: usize, n: i32, vocabSize: i32): i32 {
  const vLimit = i32x4.splat(vocabSize);
  let i = 0;
  while (i + 16 <= n) {
    const p = ids + (<usize>i << 2);
    const bad = v128.or(
      v128.or(i32x4.ge_u(v128.load(p), vLimit), i32x4.ge_u(v128.load(p, 16), vLimit)),
      v128.or(i32x4.ge_u(v128.load(p, 32), vLimit), i32x4.ge_u(v128.load(p, 48), vLimit)),
    );
    if (v128.any_true(bad)) break;
    i += 16;
  }
  for (; i < n; i++) {
    if (<u32>load<i32>(ids + (<usize>i << 2)) >= <u32>vocabSize) return i;
  }
  return -1;
}

/**
 * Index of the first uint16 id in `ids[0..n)` that is `>= vocabSize`, or -1 (`vocabSize` at most
 * 65535; every uint16 is valid for a larger vocabulary). 32 ids per step, then a scalar tail.
 */
export function findInvalidU16(ids: usize, n: i32, vocabSize: i32): i32 {
  const vLimit = i16x8.splat(<i16>vocabSize);
  let i = 0;
  while (i + 32 <= n) {
    const p = ids + (<usize>i << 1);
    const bad = v128.or(
      v128.or(i16x8.ge_u(v128.load(p), vLimit), i16x8.ge_u(v128.load(p, 16), vLimit)),
      v128.or(i16x8.ge_u(v128.load(p, 32), vLimit), i16x8.ge_u(v128.load(p, 48), vLimit)),
    );
    if (v128.any_true(bad)) break;
    i += 32;
  }
  for (; i < n; i++) {
    if (<i32>load<u16>(ids + (<usize>i << 1)) >= vocabSize) return i;
  }
  return -1;
}

// maskpack's counter-based hash, bit-identical to src/rng.ts (see README, "Randomness").

export const HASH_SEED: u32 = 0x6a09e667;
export const HASH_POSITION: u32 = 0x9e3779b9;
export const HASH_DECISION: u32 = 0x85ebca6b;
export const HASH_RANDOM: u32 = 0xc2b2ae35;
export const HASH_ROUNDING: u32 = 0x27d4eb2f;
export const HASH_SPAN: u32 = 0xbb67ae85;

const MIX_MUL_1: u32 = 0x21f0aaad;
const MIX_MUL_2: u32 = 0x735a2d97;

/** 32-bit avalanche bijection (lowbias32 family). */
// @ts-ignore: decorator
@inline
export function mix32(x: u32): u32 {
  x ^= x >>> 16;
  x *= MIX_MUL_1;
  x ^= x >>> 15;
  x *= MIX_MUL_2;
  x ^= x >>> 15;
  return x;
}

/** `mix32(mix32(mix32(seed + HASH_SEED) ^ epoch) + id)`. */
export function streamKey(seed: u32, epoch: u32, id: u32): u32 {
  return mix32(mix32(mix32(seed + HASH_SEED) ^ epoch) + id);
}

/** `mix32(key + i * HASH_POSITION)`. */
// @ts-ignore: decorator
@inline
export function positionHash(key: u32, i: u32): u32 {
  return mix32(key + i * HASH_POSITION);
}

/** `(h * n) >> 32`: a uniform integer in [0, n). */
// @ts-ignore: decorator
@inline
export function uniformBelow(h: u32, n: u32): u32 {
  return <u32>((<u64>h * <u64>n) >>> 32);
}

const SPLAT_MIX_MUL_1 = i32x4.splat(<i32>MIX_MUL_1);
const SPLAT_MIX_MUL_2 = i32x4.splat(<i32>MIX_MUL_2);

/** {@link mix32} on four lanes. */
// @ts-ignore: decorator
@inline
export function mix32x4(x: v128): v128 {
  x = v128.xor(x, i32x4.shr_u(x, 16));
  x = i32x4.mul(x, SPLAT_MIX_MUL_1);
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, SPLAT_MIX_MUL_2);
  return v128.xor(x, i32x4.shr_u(x, 15));
}

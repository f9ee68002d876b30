/**
 * maskpack's counter-based randomness (version 2: version 1 plus span masking's draws). Every random decision in the library is a
 * pure function of a few 32-bit words through {@link mix32}; there is no generator state.
 * The AssemblyScript kernels (`assembly/hash.ts`) implement the same functions bit for bit, and
 * the README documents them so other languages can reproduce every mask and permutation.
 *
 * All arithmetic is on unsigned 32-bit integers, wrapping modulo 2^32.
 */

/**
 * The version of the random function: it changes whenever any random decision for the same
 * (seed, epoch, options) would change, so outputs that record it (an export's `options.json`)
 * say which function made them.
 */
export const RANDOM_VERSION = 2;

/** Domain constants: each decision hashes its input with its own constant. */
export const HASH = {
  seed: 0x6a09e667,
  position: 0x9e3779b9,
  decision: 0x85ebca6b,
  random: 0xc2b2ae35,
  rounding: 0x27d4eb2f,
  source: 0x165667b1,
  span: 0xbb67ae85,
} as const;

/**
 * A 32-bit avalanche permutation (Wellons' hash-prospector "lowbias32" family):
 * `x ^= x >>> 16; x *= 0x21f0aaad; x ^= x >>> 15; x *= 0x735a2d97; x ^= x >>> 15`.
 * It is a bijection on [0, 2^32).
 */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x21f0aaad) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x735a2d97) >>> 0;
  return (x ^ (x >>> 15)) >>> 0;
}

/**
 * The key of one stream of decisions: `mix32(mix32(mix32(seed + 0x6a09e667) ^ epoch) + id)`.
 * For masking, `id` is the sample id and `epoch` the effective epoch (epoch mod dupeFactor for
 * static masking); other stages pass their own ids (documented where they are used).
 */
export function streamKey(seed: number, epoch: number, id: number): number {
  const k = mix32((seed + HASH.seed) >>> 0);
  const e = mix32((k ^ epoch) >>> 0);
  return mix32((e + id) >>> 0);
}

/**
 * The seed of source `s` of a mixture of stores: `seed` itself for source 0 (so a single store is
 * unchanged), else `mix32(seed ^ mix32(s + 0x165667b1))`. Every decision about a source's rows
 * (its epoch order, its pairs, its masks) uses its own seed, so two stores' rows are independent
 * even where their sample ids coincide.
 */
export function sourceSeed(seed: number, s: number): number {
  return s === 0 ? seed >>> 0 : mix32((seed ^ mix32((s + HASH.source) >>> 0)) >>> 0);
}

/** The hash of position `i` in stream `key`: `mix32(key + i * 0x9e3779b9)`. */
export function positionHash(key: number, i: number): number {
  return mix32((key + Math.imul(i, HASH.position)) >>> 0);
}

/**
 * A uniform integer in [0, n) from a 32-bit hash: `(h * n) >> 32` in 64-bit arithmetic
 * (n < 2^32). Computed in two 16-bit halves so every intermediate is exact in a double.
 */
export function uniformBelow(h: number, n: number): number {
  // n <= 2^21: h * n < 2^53 is exact in a double, and so is the division by 2^32.
  if (n <= 0x200000) return Math.floor(((h >>> 0) * n) / 4294967296);
  const a = (h >>> 16) * n;
  const b = (h & 0xffff) * n;
  return Math.floor((a + Math.floor(b / 65536)) / 65536);
}

/** A 31-bit threshold for probability p: `floor(p * 2^31)`; an event fires when `(h >>> 1) < t`. */
export function threshold31(p: number): number {
  return Math.floor(p * 2147483648);
}

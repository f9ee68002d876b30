/**
 * The per-epoch order of samples: a Fisher–Yates shuffle driven by counter-based hashes, so it
 * is a pure function of (seed, epoch, n).
 */
import { DOMAIN, decisionKey } from '../domains.js';
import { positionHash, uniformBelow } from '../rng.js';

/**
 * `perm` with `perm[p]` = the sample at position `p` of the epoch:
 * start from the identity, then for `i = n-1 … 1` swap `perm[i]` with `perm[j]`,
 * `j = uniformBelow(positionHash(key, i), i + 1)`, `key = mix32(streamKey(seed, epoch, 0) ^ 'perm')`.
 * O(n) time, 4n bytes; the result is owned by the caller.
 */
export function epochPermutation(n: number, seed: number, epoch: number): Uint32Array {
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const key = decisionKey(seed, epoch, 0, DOMAIN.permutation);
  for (let i = n - 1; i > 0; i--) {
    const j = uniformBelow(positionHash(key, i), i + 1);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}

/**
 * Domain constants of the formats and the sampler (ASCII tags, so they are easy to recognise in
 * a hex dump). Every random decision of these stages is
 *
 *   key(id)        = mix32(streamKey(seed, epoch, id) ^ DOMAIN)
 *   hash(id, c)    = positionHash(key(id), c)
 *
 * for its own DOMAIN, an id (a document id, or 0 for per-epoch decisions) and a counter `c`.
 * docs/formats.md lists which id and counter each decision uses.
 */
import { mix32, streamKey } from './rng.js';

export const DOMAIN = {
  /** Segment-pair: short-target coin (c = 0) and the short target length (c = 1), per document. */
  shortSeq: 0x73687274, // 'shrt'
  /** Pair formats: split point of chunk c of a document. */
  split: 0x73706c74, // 'splt'
  /** Pair formats: NSP coin of chunk c of a document. */
  nsp: 0x6e737020, // 'nsp '
  /** Pair formats: partner document of chunk c. */
  partnerDocument: 0x70646f63, // 'pdoc'
  /** Pair formats: first sentence in the partner document for chunk c. */
  partnerStart: 0x70626567, // 'pbeg'
  /** Pair formats: truncation end of A (c = 2 × chunk) and of B (c = 2 × chunk + 1). */
  truncate: 0x74726e63, // 'trnc'
  /** Sampler: the epoch permutation (id 0, c = Fisher–Yates position). */
  permutation: 0x7065726d, // 'perm'
} as const;

/** `mix32(streamKey(seed, epoch, id) ^ domain)`: the key of one decision stream. */
export function decisionKey(seed: number, epoch: number, id: number, domain: number): number {
  return mix32((streamKey(seed, epoch, id) ^ domain) >>> 0);
}

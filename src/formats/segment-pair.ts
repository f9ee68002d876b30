/**
 * `segment-pair` (+NSP), BERT's input: within a document, sentences accumulate to a target
 * length (the full room, or with probability 0.1 a uniform length in [2, room], drawn once per
 * document as BERT does), are split at a random sentence boundary into A and B; with
 * probability 0.5 B is replaced by a segment of another document and the unused sentences are
 * put back. The longer side is truncated from a random end to fit `seqLen` with the specials.
 */
import type { StoreLayout } from '../store/types.js';
import { buildPairs } from './pairs.js';
import type { PairSampleIndex, SampleIndexParams } from './types.js';

export function buildSegmentPair(layout: StoreLayout, params: SampleIndexParams): PairSampleIndex {
  return buildPairs(layout, params, 'segment');
}

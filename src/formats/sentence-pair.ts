/**
 * `sentence-pair` (+NSP): A is one sentence, B the next sentence of the same document or, with
 * probability 0.5, one sentence of another document (then the real next sentence is put back
 * and starts the next pair). Built like `segment-pair` with chunks of two sentences; a
 * document's last sentence left alone is split into A and B when B is real.
 */
import type { StoreLayout } from '../store/types.js';
import { buildPairs } from './pairs.js';
import type { PairSampleIndex, SampleIndexParams } from './types.js';

export function buildSentencePair(layout: StoreLayout, params: SampleIndexParams): PairSampleIndex {
  return buildPairs(layout, params, 'sentence');
}

/**
 * `full-sentences` (RoBERTa's default): `<s>`, contiguous whole sentences that may cross
 * document boundaries with an extra `</s>` between documents, `</s>`; at most `seqLen` tokens.
 */
import type { StoreLayout } from '../store/types.js';
import { packSentences } from './pack-sentences.js';
import type { SampleIndexParams, SingleSampleIndex } from './types.js';

export function buildFullSentences(layout: StoreLayout, params: SampleIndexParams): SingleSampleIndex {
  return packSentences(layout, 'full-sentences', params.seqLen, params.template, true);
}

/**
 * `doc-sentences`: packed like `full-sentences`, but a sample never crosses a document; the
 * short end-of-document samples are evened out by token-budget batching in the sampler.
 */
import type { StoreLayout } from '../store/types.js';
import { packSentences } from './pack-sentences.js';
import type { SampleIndexParams, SingleSampleIndex } from './types.js';

export function buildDocSentences(layout: StoreLayout, params: SampleIndexParams): SingleSampleIndex {
  return packSentences(layout, 'doc-sentences', params.seqLen, params.template, false);
}

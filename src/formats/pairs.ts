/**
 * The pair builder behind `segment-pair` and `sentence-pair`: BERT's
 * `create_instances_from_document`, with every random draw a counter-based hash (see
 * `../domains.ts` and docs/formats.md), in typed arrays only. Unlike BERT's script, the NSP
 * label is a fair coin for every pair (BERT gives every one-segment chunk a random B, which puts
 * the share of random B above the papers' 50%); see docs/formats.md.
 */
import { DOMAIN } from '../domains.js';
import { MaskpackError } from '../errors.js';
import { mix32, positionHash, streamKey, threshold31, uniformBelow } from '../rng.js';
import { DocumentSentences } from '../store/layout.js';
import type { StoreLayout } from '../store/types.js';
import { GrowableFloat64, GrowableInt32, GrowableUint8 } from './growable.js';
import { PAIR_FLAG, pairSpecials, type PairSampleIndex, type SampleIndexParams } from './types.js';

/** `segment`: chunks accumulate sentences to a target length; `sentence`: A and B are single sentences. */
export type PairUnit = 'segment' | 'sentence';

const SHORT_SEQ_PROB = threshold31(0.1);
const HALF = threshold31(0.5);

/**
 * Build the pairs of one epoch. Documents are visited in store order; within each, the
 * non-empty sentences are the segments. Requires at least two non-empty documents (a random
 * partner never comes from the same document).
 *
 * @throws MaskpackError `ERR_BAD_INPUT` when the store has fewer than two non-empty documents.
 */
export function buildPairs(layout: StoreLayout, params: SampleIndexParams, unit: PairUnit): PairSampleIndex {
  const { seqLen, template, seed, epoch, format } = params;
  const { documentTokenStarts, numDocuments } = layout;
  const maxTokens = seqLen - pairSpecials(template);

  const eligible = new GrowableInt32(numDocuments + 1);
  for (let d = 0; d < numDocuments; d++) {
    if (documentTokenStarts[d + 1] > documentTokenStarts[d]) eligible.push(d);
  }
  const numEligible = eligible.length;
  if (numEligible < 2) {
    throw new MaskpackError('ERR_BAD_INPUT', `format '${format}' needs at least 2 non-empty documents, the store has ${numEligible}`);
  }

  const estimate = (layout.numSentences >>> 1) + numEligible + 16;
  const aStartOut = new GrowableFloat64(estimate);
  const aLengthOut = new GrowableInt32(estimate);
  const bStartOut = new GrowableFloat64(estimate);
  const bLengthOut = new GrowableInt32(estimate);
  const flagsOut = new GrowableUint8(estimate);
  const docOut = new GrowableInt32(estimate);
  const partnerOut = new GrowableInt32(estimate);
  const rowOut = new GrowableInt32(estimate);
  // Sentences are read a document at a time (the document, and a random partner's): nothing per
  // sentence of the store is held. `seg` lists the document's non-empty sentences (local indexes).
  const doc = new DocumentSentences(layout);
  const other = new DocumentSentences(layout);
  const segments = new GrowableInt32(1024);
  const specials = seqLen - maxTokens;

  for (let e = 0; e < numEligible; e++) {
    const d = eligible.get(e);
    const { lengths, starts } = doc.load(d);
    segments.length = 0;
    for (let s = 0; s < doc.count; s++) if (lengths[s] > 0) segments.push(s);
    const seg = segments.view();
    const nSeg = seg.length;

    const docKey = streamKey(seed, epoch, d);
    const kSplit = mix32((docKey ^ DOMAIN.split) >>> 0);
    const kNsp = mix32((docKey ^ DOMAIN.nsp) >>> 0);
    const kPartner = mix32((docKey ^ DOMAIN.partnerDocument) >>> 0);
    const kStart = mix32((docKey ^ DOMAIN.partnerStart) >>> 0);
    const kTrunc = mix32((docKey ^ DOMAIN.truncate) >>> 0);

    let target = unit === 'segment' ? maxTokens : 2;
    if (unit === 'segment') {
      const kShort = mix32((docKey ^ DOMAIN.shortSeq) >>> 0);
      if (positionHash(kShort, 0) >>> 1 < SHORT_SEQ_PROB) target = 2 + uniformBelow(positionHash(kShort, 1), maxTokens - 1);
    }

    let chunkStart = 0;
    let current = 0;
    let c = 0;
    for (let i = 0; i < nSeg; i++) {
      current += unit === 'segment' ? lengths[seg[i]] : 1;
      // A chunk closes at its target once it holds two segments (so that a real B can follow A),
      // or at the end of the document: only a document's last segment can make a chunk alone.
      if (i !== nSeg - 1 && (current < target || i === chunkStart)) continue;
      const n = i - chunkStart + 1;
      // The label is drawn for every chunk, before A is chosen, so it is a fair coin whatever
      // the chunk. A real B for a one-segment chunk is the rest of that segment (it is split);
      // only a one-token segment cannot be split and takes a random B, as in BERT.
      const coin = positionHash(kNsp, c) >>> 1 < HALF;
      const forced = !coin && n === 1 && lengths[seg[i]] < 2;
      const randomNext = coin || forced;
      const coinFlipped = !forced;
      const splitSegment = !randomNext && n === 1;
      const hSplit = positionHash(kSplit, c);
      const aEnd = n >= 2 ? 1 + uniformBelow(hSplit, n - 1) : 1;

      let aStart = starts[seg[chunkStart]];
      const aLast = seg[chunkStart + aEnd - 1];
      let aLength = starts[aLast] + lengths[aLast] - aStart;
      let bStart: number;
      let bLength = 0;
      let partner = d;
      if (splitSegment) {
        const whole = aLength;
        aLength = 1 + uniformBelow(hSplit, whole - 1);
        bStart = aStart + aLength;
        bLength = whole - aLength;
      } else if (randomNext) {
        let r = uniformBelow(positionHash(kPartner, c), numEligible - 1);
        if (r >= e) r++;
        partner = eligible.get(r);
        const p = other.load(partner);
        const end = p.count;
        const need = Math.max(unit === 'segment' ? target - aLength : 1, 1);
        let j = uniformBelow(positionHash(kStart, c), end);
        bStart = p.starts[j];
        for (; j < end && bLength < need; j++) bLength += p.lengths[j];
        if (bLength === 0) {
          bStart = p.starts[0];
          for (j = 0; j < end && bLength < need; j++) bLength += p.lengths[j];
        }
        i -= n - aEnd;
      } else {
        bStart = starts[seg[chunkStart + aEnd]];
        bLength = starts[seg[i]] + lengths[seg[i]] - bStart;
      }

      if (aLength + bLength > maxTokens) {
        const excess = aLength + bLength - maxTokens;
        let a2: number;
        let b2: number;
        if (aLength > bLength) {
          a2 = Math.max(aLength - excess, Math.ceil(maxTokens / 2));
          b2 = maxTokens - a2;
        } else {
          b2 = Math.max(bLength - excess, Math.floor(maxTokens / 2));
          a2 = maxTokens - b2;
        }
        if (a2 < aLength && positionHash(kTrunc, 2 * c) >>> 1 < HALF) aStart += aLength - a2;
        if (b2 < bLength && positionHash(kTrunc, 2 * c + 1) >>> 1 < HALF) bStart += bLength - b2;
        aLength = a2;
        bLength = b2;
      }

      aStartOut.push(aStart);
      aLengthOut.push(aLength);
      bStartOut.push(bStart);
      bLengthOut.push(bLength);
      flagsOut.push((randomNext ? PAIR_FLAG.randomNext : 0) | (coinFlipped ? PAIR_FLAG.coinFlipped : 0) | (splitSegment ? PAIR_FLAG.splitSegment : 0));
      docOut.push(d);
      partnerOut.push(partner);
      rowOut.push(aLength + bLength + specials);
      c++;
      chunkStart = i + 1;
      current = 0;
    }
  }

  return {
    kind: 'pair',
    format,
    seqLen,
    template,
    seed,
    epoch,
    numSamples: aStartOut.length,
    aStart: aStartOut.finishShared(),
    aLength: aLengthOut.finishShared(),
    bStart: bStartOut.finishShared(),
    bLength: bLengthOut.finishShared(),
    flags: flagsOut.finishShared(),
    document: docOut.finishShared(),
    partnerDocument: partnerOut.finishShared(),
    rowLength: rowOut.finishShared(),
  };
}

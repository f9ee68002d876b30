/**
 * The sample index: which tokens of the store make each sample. Built in typed arrays only
 * (one entry per sample, no per-sentence objects) so that it scales to billion-token stores.
 */

/** The four input formats of RoBERTa's Table 2. */
export type FormatName = 'full-sentences' | 'doc-sentences' | 'segment-pair' | 'sentence-pair';

/** Special-token layout of a row: RoBERTa `<s> A </s></s> B </s>` or BERT `[CLS] A [SEP] B [SEP]`. */
export type Template = 'roberta' | 'bert';

/** What every sample index holds. */
interface SampleIndexBase {
  readonly format: FormatName;
  readonly seqLen: number;
  readonly template: Template;
  readonly numSamples: number;
  /** Real tokens of each row, specials and separators included (always <= seqLen), `[numSamples]`. */
  readonly rowLength: Int32Array;
}

/**
 * `full-sentences` and `doc-sentences`: sample `i` is the flat token range
 * `[tokenStart[i], tokenStart[i + 1])` (samples cover the store's tokens in order), wrapped in
 * `<s> … </s>` with one extra separator wherever the range crosses from one document into the
 * next. 12 bytes per sample.
 */
export interface SingleSampleIndex extends SampleIndexBase {
  readonly kind: 'single';
  /** First flat token of each sample, `[numSamples + 1]`; the last entry is the store's token count. */
  readonly tokenStart: Float64Array;
}

/** Bits of {@link PairSampleIndex.flags}. */
export const PAIR_FLAG = {
  /** B is a random segment from another document: `next_sentence_label` = 1. */
  randomNext: 1,
  /** The label is the NSP coin's (every pair but one whose A is a document's last segment of one token: B is random by necessity). */
  coinFlipped: 2,
  /** A and B are the two parts of one segment (a real B for a chunk of a single segment, which ends its document). */
  splitSegment: 4,
} as const;

/**
 * `segment-pair` and `sentence-pair`: sample `i` is segment A = flat tokens
 * `[aStart[i], aStart[i] + aLength[i])` and segment B = `[bStart[i], bStart[i] + bLength[i])`,
 * both already truncated to fit `seqLen` with the template's specials. Rebuilt per epoch.
 */
export interface PairSampleIndex extends SampleIndexBase {
  readonly kind: 'pair';
  readonly seed: number;
  readonly epoch: number;
  readonly aStart: Float64Array;
  readonly aLength: Int32Array;
  readonly bStart: Float64Array;
  readonly bLength: Int32Array;
  /** {@link PAIR_FLAG} bits per sample, `[numSamples]`. */
  readonly flags: Uint8Array;
  /** Document of segment A, `[numSamples]` (B's document for random partners is `partnerDocument`). */
  readonly document: Int32Array;
  /** Document segment B was taken from, `[numSamples]`. */
  readonly partnerDocument: Int32Array;
}

export type SampleIndex = SingleSampleIndex | PairSampleIndex;

/** Inputs of a sample-index build; the index is a pure function of them and the store. */
export interface SampleIndexParams {
  format: FormatName;
  seqLen: number;
  template: Template;
  /** uint32; only the pair formats use it. */
  seed: number;
  /** Only the pair formats use it. */
  epoch: number;
}

/** Specials a template adds around a pair: RoBERTa 4 (`<s>`, `</s></s>`, `</s>`), BERT 3. */
export function pairSpecials(template: Template): number {
  return template === 'roberta' ? 4 : 3;
}

/**
 * Row plans: what the fused collate+mask kernel executes for one batch. A row is a short list
 * of items, each a literal token or a span of the flat token sequence:
 *
 * ```
 *  items (3 × int32 per item)        row r = items[rowItemStart[r] … rowItemStart[r+1])
 *  ┌────────────────┬──────────┬────────┐
 *  │ kindAndType    │ a        │ b      │  kind = kindAndType & 1, tokenType = kindAndType >>> 1
 *  ├────────────────┼──────────┼────────┤
 *  │ 0 | type << 1  │ token id │ 0      │  literal
 *  │ 1 | type << 1  │ start    │ length │  span: flat tokens [start, start + length), start as uint32 bits
 *  └────────────────┴──────────┴────────┘
 * ```
 * Adjacent sentences of one document are one span (they are contiguous in the flat sequence).
 */
import { MaskpackError } from '../errors.js';
import type { SampleIndex } from '../formats/types.js';
import type { SpecialTokens, StoreLayout } from '../store/types.js';

export interface RowPlan {
  /** B. */
  rows: number;
  /** L after the padding policy. */
  width: number;
  /** `[B + 1]`, item index where each row starts. */
  rowItemStart: Int32Array;
  /** 3 int32 per item: `[kindAndType, a, b]` (see the module comment). */
  items: Int32Array;
  /** `[B]`, real tokens per row (<= width). */
  rowLengths: Int32Array;
  /** `[B]`. */
  sampleIds: Uint32Array;
  /** `[B]`, pair formats: 1 when B is a random segment. */
  nextSentenceLabel?: Int32Array;
}

/** What a plan needs of the store's layout. */
export type PlanLayout = Pick<StoreLayout, 'numTokens' | 'sentenceStarts' | 'documentIndex'>;

const LITERAL = 0;
const SPAN = 1;
/** The items being planned (3 int32 each), reused from plan to plan; `used` of them written. */
let scratch = new Int32Array(3 * 4096);
let used = 0;

/** Room for `words` more item words. */
function room(words: number): void {
  if (used + words <= scratch.length) return;
  const grown = new Int32Array(Math.max(2 * scratch.length, used + words));
  grown.set(scratch.subarray(0, used));
  scratch = grown;
}

function literal(id: number, type: number): void {
  room(3);
  scratch[used] = LITERAL | (type << 1);
  scratch[used + 1] = id;
  scratch[used + 2] = 0;
  used += 3;
}

function span(start: number, length: number, type: number): void {
  room(3);
  scratch[used] = SPAN | (type << 1);
  scratch[used + 1] = start | 0;
  scratch[used + 2] = length;
  used += 3;
}

/** One single-format row: flat tokens `[start, end)` whose first token is in document `d`. */
function singleRow(layout: PlanLayout, open: number, close: number, start: number, end: number, d: number): void {
  const { documentIndex, sentenceStarts } = layout;
  literal(open, 0);
  let pos = start;
  for (;;) {
    const docEnd = sentenceStarts[documentIndex[d + 1]];
    if (docEnd >= end) {
      span(pos, end - pos, 0);
      break;
    }
    span(pos, docEnd - pos, 0);
    literal(close, 0);
    pos = docEnd;
    while (sentenceStarts[documentIndex[d + 1]] <= pos) d++;
  }
  literal(close, 0);
}

/**
 * The plan of one batch: rows in the order of `sampleIds`, `width` from the sampler (the padded
 * width of the global batch). Runs in O(items + rows), plus skipping empty documents.
 * The returned arrays are freshly allocated and owned by the caller (`sampleIds` is copied).
 *
 * Row layouts: single formats `open span (close span)* close` with a `close` separator at each
 * document boundary; pairs RoBERTa `<s> A </s> | </s> B </s>`, BERT `[CLS] A [SEP] | B [SEP]`,
 * token type 0 left of `|`, 1 right of it. `open`/`close` are `bos`/`eos` for RoBERTa and
 * `cls`/`sep` for BERT.
 *
 * @throws MaskpackError `ERR_BAD_INPUT` when the store has 2^32 tokens or more (spans are uint32).
 */
export function buildRowPlan(
  layout: PlanLayout,
  specials: SpecialTokens,
  index: SampleIndex,
  sampleIds: Uint32Array,
  width: number,
): RowPlan {
  if (layout.numTokens > 0xffffffff) {
    throw new MaskpackError('ERR_BAD_INPUT', `row plans address tokens as uint32; the store has ${layout.numTokens} tokens`);
  }
  const rows = sampleIds.length;
  const roberta = index.template === 'roberta';
  const open = roberta ? specials.bos : specials.cls;
  const close = roberta ? specials.eos : specials.sep;
  const rowItemStart = new Int32Array(rows + 1);
  const rowLengths = new Int32Array(rows);
  const nextSentenceLabel = index.kind === 'pair' ? new Int32Array(rows) : undefined;
  used = 0;
  for (let r = 0; r < rows; r++) {
    const id = sampleIds[r];
    rowItemStart[r] = used / 3;
    rowLengths[r] = index.rowLength[id];
    if (index.kind === 'single') {
      const start = index.tokenStart[id];
      singleRow(layout, open, close, start, start + index.tokenCount[id], index.document[id]);
    } else {
      literal(open, 0);
      span(index.aStart[id], index.aLength[id], 0);
      literal(close, 0);
      if (roberta) literal(close, 1);
      span(index.bStart[id], index.bLength[id], 1);
      literal(close, 1);
      nextSentenceLabel![r] = index.flags[id] & 1;
    }
  }
  rowItemStart[rows] = used / 3;
  const plan: RowPlan = { rows, width, rowItemStart, items: scratch.slice(0, used), rowLengths, sampleIds: sampleIds.slice() };
  if (nextSentenceLabel) plan.nextSentenceLabel = nextSentenceLabel;
  return plan;
}

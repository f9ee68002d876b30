/**
 * Row plans: what the fused collate+mask kernel executes for one batch. A row is a short list
 * of items, each a literal token or a span of its store's flat token sequence:
 *
 * ```
 *  items (3 float64 per item)        row r = items[rowItemStart[r] … rowItemStart[r+1])
 *  ┌────────────────┬──────────┬────────┐
 *  │ kindAndType    │ a        │ b      │  kind = kindAndType & 1, tokenType = kindAndType >>> 1
 *  ├────────────────┼──────────┼────────┤
 *  │ 0 | type << 1  │ token id │ 0      │  literal
 *  │ 1 | type << 1  │ start    │ length │  span: flat tokens [start, start + length) of the row's store
 *  └────────────────┴──────────┴────────┘
 * ```
 * Starts are exact integers up to 2^53, so stores past 2^32 tokens plan like any other. Adjacent
 * sentences of one document are one span (they are contiguous in the flat sequence). The kernel
 * host turns spans into addresses of its memory (`src/wasm/tokens.ts`).
 *
 * There is one route to a plan: {@link planRows}, used by the loader's workers, its in-thread
 * path and {@link planBatch} (for the `Collator`), from the sample indexes the sampler built.
 */
import { MaskpackError } from '../errors.js';
import type { SampleIndex, Template } from '../formats/types.js';
import type { Sampler, SamplerBatch } from '../sampler/sampler.js';
import { documentOfToken } from '../store/layout.js';
import type { SpecialTokens, StoreLayout } from '../store/types.js';
import { ITEM_LITERAL, ITEM_SPAN, ITEM_WORDS } from '../wasm/abi.js';

export interface RowPlan {
  /** B. */
  rows: number;
  /** L after the padding policy. */
  width: number;
  /** `[B + 1]`, item index where each row starts. */
  rowItemStart: Int32Array;
  /** 3 float64 per item: `[kindAndType, a, b]` (see the module comment). */
  items: Float64Array;
  /** `[B]`, real tokens per row (<= width). */
  rowLengths: Int32Array;
  /** `[B]`, the sample of each row (in its source). */
  sampleIds: Uint32Array;
  /** `[B]`, mixtures: the source (store) of each row; absent when every row is from source 0. */
  sources?: Uint8Array;
  /** `[B]`, mixtures: the epoch of each row's source (masking and pairing use it); absent: the batch's epoch. */
  sourceEpochs?: Uint32Array;
  /** `[B]`, pair formats: 1 when B is a random segment. */
  nextSentenceLabel?: Int32Array;
}

/** What a plan needs of a store's layout. */
export type PlanLayout = Pick<StoreLayout, 'numTokens' | 'numDocuments' | 'documentTokenStarts'>;

/** One source as the planner sees it: its layout and its sample index of a given epoch. */
export interface PlanSource {
  readonly layout: PlanLayout;
  index(epoch: number): SampleIndex;
}

/** Everything a plan is made from besides its rows. */
export interface PlanContext {
  readonly sources: readonly PlanSource[];
  readonly specials: SpecialTokens;
  readonly template: Template;
  /** Pair formats (every source has the same format). */
  readonly pair: boolean;
}

/** The rows of one batch: the sample (and, in mixtures, the source and its epoch) of each row. */
export interface PlanRows {
  readonly sampleIds: Uint32Array;
  readonly width: number;
  /** The batch's epoch (the epoch of every row without `sourceEpochs`). */
  readonly epoch: number;
  readonly sources?: Uint8Array;
  readonly sourceEpochs?: Uint32Array;
}

/** The items being planned (3 float64 each), reused from plan to plan; `used` of them written. */
let scratch = new Float64Array(ITEM_WORDS * 4096);
let used = 0;

/** Room for `words` more item words. */
function room(words: number): void {
  if (used + words <= scratch.length) return;
  const grown = new Float64Array(Math.max(2 * scratch.length, used + words));
  grown.set(scratch.subarray(0, used));
  scratch = grown;
}

function literal(id: number, type: number): void {
  room(ITEM_WORDS);
  scratch[used] = ITEM_LITERAL | (type << 1);
  scratch[used + 1] = id;
  scratch[used + 2] = 0;
  used += ITEM_WORDS;
}

function span(start: number, length: number, type: number): void {
  room(ITEM_WORDS);
  scratch[used] = ITEM_SPAN | (type << 1);
  scratch[used + 1] = start;
  scratch[used + 2] = length;
  used += ITEM_WORDS;
}

/** One single-format row: flat tokens `[start, end)`, a `close` separator at each document boundary. */
function singleRow(layout: PlanLayout, open: number, close: number, start: number, end: number): void {
  const { documentTokenStarts: docStart, numDocuments } = layout;
  let d = documentOfToken(docStart, numDocuments, start);
  literal(open, 0);
  let pos = start;
  for (;;) {
    const docEnd = docStart[d + 1];
    if (docEnd >= end) {
      span(pos, end - pos, 0);
      break;
    }
    span(pos, docEnd - pos, 0);
    literal(close, 0);
    pos = docEnd;
    while (docStart[d + 1] <= pos) d++;
  }
  literal(close, 0);
}

/**
 * The plan of one batch: rows in the order of `rows.sampleIds`, `rows.width` from the sampler
 * (the padded width of the global batch). Runs in O(items + rows log documents). The returned
 * arrays are freshly allocated and owned by the caller (`sampleIds` and the row arrays are
 * copied).
 *
 * Row layouts: single formats `open span (close span)* close` with a `close` separator at each
 * document boundary; pairs RoBERTa `<s> A </s> | </s> B </s>`, BERT `[CLS] A [SEP] | B [SEP]`,
 * token type 0 left of `|`, 1 right of it. `open`/`close` are `bos`/`eos` for RoBERTa and
 * `cls`/`sep` for BERT.
 */
export function planRows(context: PlanContext, rows: PlanRows): RowPlan {
  const { sources, specials, template } = context;
  const { sampleIds, width } = rows;
  const n = sampleIds.length;
  const roberta = template === 'roberta';
  const open = roberta ? specials.bos : specials.cls;
  const close = roberta ? specials.eos : specials.sep;
  const rowItemStart = new Int32Array(n + 1);
  const rowLengths = new Int32Array(n);
  const nextSentenceLabel = context.pair ? new Int32Array(n) : undefined;
  used = 0;
  // Each source's index is looked up once per epoch it appears in (mixtures alternate sources
  // from row to row, but a source's epoch changes rarely).
  const epochOf = new Float64Array(sources.length).fill(-1);
  const indexOf: (SampleIndex | undefined)[] = new Array(sources.length);
  let index: SampleIndex | undefined;
  let layout: PlanLayout | undefined;
  for (let r = 0; r < n; r++) {
    const s = rows.sources ? rows.sources[r] : 0;
    const e = rows.sourceEpochs ? rows.sourceEpochs[r] : rows.epoch;
    const source = sources[s];
    if (!source) throw new MaskpackError('ERR_BAD_INPUT', `row ${r} names source ${s}, but there are ${sources.length}`);
    if (epochOf[s] !== e) {
      indexOf[s] = source.index(e);
      epochOf[s] = e;
    }
    index = indexOf[s];
    layout = source.layout;
    const id = sampleIds[r];
    if (id >= index!.numSamples) throw new MaskpackError('ERR_BAD_INPUT', `row ${r}: sample ${id} is not below the source's ${index!.numSamples} samples`);
    rowItemStart[r] = used / ITEM_WORDS;
    rowLengths[r] = index!.rowLength[id];
    if ((index!.kind === 'pair') !== context.pair) throw new MaskpackError('ERR_BAD_INPUT', `row ${r}: its source's format is not the plan's`);
    if (index!.kind === 'single') {
      singleRow(layout!, open, close, index!.tokenStart[id], index!.tokenStart[id + 1]);
    } else {
      literal(open, 0);
      span(index!.aStart[id], index!.aLength[id], 0);
      literal(close, 0);
      if (roberta) literal(close, 1);
      span(index!.bStart[id], index!.bLength[id], 1);
      literal(close, 1);
      nextSentenceLabel![r] = index!.flags[id] & 1;
    }
  }
  rowItemStart[n] = used / ITEM_WORDS;
  const plan: RowPlan = { rows: n, width, rowItemStart, items: scratch.slice(0, used), rowLengths, sampleIds: sampleIds.slice() };
  if (rows.sources) plan.sources = rows.sources.slice();
  if (rows.sourceEpochs) plan.sourceEpochs = rows.sourceEpochs.slice();
  if (nextSentenceLabel) plan.nextSentenceLabel = nextSentenceLabel;
  return plan;
}

/**
 * The plan of `sampleIds` from one store's sample `index` (a single-source plan).
 * The returned arrays are freshly allocated and owned by the caller (`sampleIds` is copied).
 */
export function buildRowPlan(layout: PlanLayout, specials: SpecialTokens, index: SampleIndex, sampleIds: Uint32Array, width: number): RowPlan {
  const context = { sources: [{ layout, index: () => index }], specials, template: index.template, pair: index.kind === 'pair' };
  return planRows(context, { sampleIds, width, epoch: 0 });
}

/** The plan of a batch `sampler` produced (what the loader runs for it), for a `Collator`. */
export function planBatch(sampler: Sampler, batch: SamplerBatch): RowPlan {
  return planRows(sampler.planContext(), batch);
}

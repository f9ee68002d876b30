/**
 * Rendering a masked batch as text for `maskpack inspect`: every selected position shows its
 * original token and what the model sees instead.
 *
 *   plain:  "The [quick→<mask>] brown [fox→dog] jumps [over→over]"
 *   colour: the same pieces without brackets, `<mask>` red, random yellow, kept green
 *
 * Runs of unmasked tokens are decoded together (byte-level BPE pieces may split a UTF-8
 * character); each selected token is decoded alone. Every batch form renders the same way: a
 * packed row is cut out by `cuSeqlens`, sparse labels are put back at their positions.
 */
import type { AnyBatch } from '../batch.js';

/** What `inspect` needs of a tokenizer. */
export interface Decoder {
  decode(ids: ArrayLike<number>): string;
}

export interface RenderOptions {
  /** The `<mask>` id. */
  readonly maskId: number;
  /** Label of positions that are not selected (default -100). */
  readonly ignoreIndex: number;
  /** ANSI colours instead of brackets. */
  readonly colour: boolean;
  /** Mixtures: the store prefix of each source, shown in row headers. */
  readonly sources?: readonly string[];
}

/** How a selected position was changed. */
export type Change = 'mask' | 'random' | 'kept';

const COLOURS: Record<Change, string> = { mask: '\x1b[1;97;41m', random: '\x1b[1;30;43m', kept: '\x1b[1;30;42m' };
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/** Control characters (C0, DEL, C1) shown escaped, so corpus text cannot drive the terminal or break rows. */
function visible(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/**
 * One selected id alone. A byte-level BPE piece holding part of a UTF-8 character decodes to
 * `�`; its id is appended (`�#1755`) so that kept and replaced pieces stay distinguishable.
 */
function piece(tokenizer: Decoder, id: number): string {
  const text = tokenizer.decode([id]);
  return text.includes('\uFFFD') ? `${text}#${id}` : text;
}

/** The change made at a selected position. */
export function changeOf(input: number, label: number, maskId: number): Change {
  return input === maskId ? 'mask' : input === label ? 'kept' : 'random';
}

/** A piece made only of spaces, shown as `␣` so a selected space is never an empty bracket side. */
function spaces(text: string): string {
  return /^ +$/.test(text) ? text.replace(/ /g, '␣') : text;
}

function selected(orig: string, now: string, change: Change, colour: boolean): string {
  const lead = /^ +(?=[^ ])/.exec(orig)?.[0] ?? '';
  const a = visible(spaces(orig.slice(lead.length)));
  const b = visible(spaces(now).trim());
  return colour ? `${lead}${COLOURS[change]}${a}${DIM}→${RESET}${COLOURS[change]}${b}${RESET}` : `${lead}[${a}→${b}]`;
}

/** One row of a batch of any form: its real tokens, their labels (dense), token types, and its place. */
export interface RowView {
  readonly ids: Int32Array;
  readonly labels: Int32Array;
  readonly types: Int32Array | undefined;
  /** Real tokens. */
  readonly length: number;
}

/** Row `row` of `batch`, any form (sparse labels spread back over the row, `ignoreIndex` elsewhere). */
export function rowView(batch: AnyBatch, row: number, ignoreIndex: number): RowView {
  let start: number;
  let length: number;
  if (batch.layout === 'packed') {
    start = batch.cuSeqlens[row];
    length = batch.cuSeqlens[row + 1] - start;
  } else {
    const L = batch.shape[1];
    start = row * L;
    length = 0;
    for (let p = start; p < start + L; p++) length += batch.attentionMask[p];
  }
  const ids = batch.inputIds.subarray(start, start + length);
  const types = batch.tokenTypeIds?.subarray(start, start + length);
  if (batch.labels !== undefined) return { ids, labels: batch.labels.subarray(start, start + length), types, length };
  const labels = new Int32Array(length).fill(ignoreIndex);
  const first = batch.maskedRowStart[row];
  const count = batch.maskedRowStart[row + 1] - first;
  for (let k = 0; k < count; k++) {
    // The [B, N] form: row-local positions, the row's predictions first; the [M] form: flat ones.
    const at = batch.maxPredictions === undefined ? first + k : row * batch.maxPredictions + k;
    const position = batch.maxPredictions === undefined ? batch.maskedPositions[at] - start : batch.maskedPositions[at];
    labels[position] = batch.maskedIds[at];
  }
  return { ids, labels, types, length };
}

/** Positions `[from, to)` of one row, as text. */
export function renderSpan(view: RowView, from: number, to: number, tokenizer: Decoder, o: RenderOptions): string {
  let out = '';
  let runStart = from;
  const flush = (end: number): void => {
    if (end > runStart) out += visible(tokenizer.decode(view.ids.subarray(runStart, end)));
  };
  for (let p = from; p < to; p++) {
    const label = view.labels[p];
    if (label === o.ignoreIndex) continue;
    flush(p);
    const input = view.ids[p];
    out += selected(piece(tokenizer, label), piece(tokenizer, input), changeOf(input, label, o.maskId), o.colour);
    runStart = p + 1;
  }
  flush(to);
  return out;
}

/**
 * One row: a header (row, source of a mixture's row, sample id, real length, selected
 * positions, NSP label of pair formats), then its text; pair rows print segment A and segment B (by token type) on their
 * own lines.
 */
export function renderRow(batch: AnyBatch, row: number, tokenizer: Decoder, o: RenderOptions): string {
  const view = rowView(batch, row, o.ignoreIndex);
  const { length } = view;
  let masked = 0;
  for (let p = 0; p < length; p++) if (view.labels[p] !== o.ignoreIndex) masked++;
  const head = [`row ${row}`, `sample ${batch.sampleIds[row]}`, `${length} tokens`, `${masked} selected`];
  if (batch.sourceIds) head.splice(1, 0, `source ${batch.sourceIds[row]}${o.sources ? ` (${o.sources[batch.sourceIds[row]]})` : ''}`);
  if (batch.nextSentenceLabel) {
    const nsp = batch.nextSentenceLabel[row];
    head.push(`next_sentence_label ${nsp} (${nsp === 0 ? 'B follows A' : 'B is random'})`);
  }
  const lines = [o.colour ? `\x1b[1m${head.join(' · ')}${RESET}` : head.join(' · ')];
  if (view.types) {
    let b = 0;
    while (b < length && view.types[b] === 0) b++;
    lines.push(`  A │ ${renderSpan(view, 0, b, tokenizer, o)}`);
    lines.push(`  B │ ${renderSpan(view, b, length, tokenizer, o)}`);
  } else {
    lines.push(`  ${renderSpan(view, 0, length, tokenizer, o)}`);
  }
  return lines.join('\n');
}

/** A legend line for the colour mode. */
export function legend(): string {
  return `${COLOURS.mask}orig→<mask>${RESET} replaced by <mask>  ${COLOURS.random}orig→random${RESET} random token  ${COLOURS.kept}orig→orig${RESET} kept`;
}

/**
 * Input formats → a stream of document events: runs of complete sentences of the current
 * document (`{ text, ends }`, `ends` exclusive offsets into `text`) and `END` after a document's
 * last sentence. Empty documents produce no events and are counted.
 *
 * - `text`: one document per input; split into sentences (see `split.ts`), streamed in chunks,
 *   so a document of any size (even a single 100 MB line) stays in bounded memory.
 * - `lines`: one sentence per line (its exact text, without the line break), a blank line
 *   between documents, and the end of each input ends a document.
 * - `jsonl`: one JSON object per line; its `textField` string is a document, split like `text`.
 *   A line is held whole while it is parsed.
 */
import { MaskpackError } from '../errors.js';
import { chopLong, splitSentences } from './split.js';

/**
 * Sentences of the current document (`ends` given), a whole document for a worker to split
 * (`ends` null; documents up to 1 Mi characters, so splitting runs in parallel), or the end of a
 * document.
 */
export type DocEvent = { readonly text: string; readonly ends: readonly number[] | null } | typeof END;
/** Marks the end of a document. */
export const END = 'end' as const;

/** The input formats. */
export type InputFormat = 'text' | 'lines' | 'jsonl';
export const INPUT_FORMATS: readonly InputFormat[] = ['text', 'lines', 'jsonl'];

/** Counters the format readers add to. */
export interface FormatStats {
  documents: number;
  emptyDocuments: number;
  skippedLines: number;
}

export interface FormatOptions {
  readonly maxSentenceChars: number;
  readonly textField: string;
  readonly skipBad: boolean;
}

const NON_SPACE = /\S/;
/** Emit at most this many characters of sentences per event. */
const EVENT_CHARS = 1 << 16;
/** Documents up to this many characters are split by the workers. */
const WORKER_SPLIT_CHARS = 1 << 20;

/** Cut one document's already split text into events of bounded size. */
function* chunkEvents(text: string, ends: readonly number[]): Generator<DocEvent> {
  let from = 0;
  let k = 0;
  while (k < ends.length) {
    let j = k;
    while (j < ends.length && (j === k || ends[j] - from <= EVENT_CHARS)) j++;
    const to = ends[j - 1];
    yield { text: text.slice(from, to), ends: ends.slice(k, j).map((e) => e - from) };
    from = to;
    k = j;
  }
}

async function* textDocument(chunks: AsyncIterable<string> | Iterable<string>, o: FormatOptions, stats: FormatStats): AsyncGenerator<DocEvent> {
  const head: string[] = [];
  let headChars = 0;
  let streaming = false;
  let carry = '';
  let emitted = false;
  for await (let chunk of chunks) {
    if (!streaming) {
      head.push(chunk);
      headChars += chunk.length;
      if (headChars <= WORKER_SPLIT_CHARS) continue;
      streaming = true;
      chunk = head.join('');
      head.length = 0;
    }
    const text = carry + chunk;
    const ends = splitSentences(text, false, o.maxSentenceChars);
    if (ends.length) {
      yield* chunkEvents(text, ends);
      emitted = true;
      carry = text.slice(ends[ends.length - 1]);
    } else {
      carry = text;
    }
  }
  if (!streaming) carry = head.join('');
  if (NON_SPACE.test(carry)) {
    if (streaming) yield* chunkEvents(carry, splitSentences(carry, true, o.maxSentenceChars));
    else yield { text: carry, ends: null };
    emitted = true;
  }
  if (emitted) {
    stats.documents++;
    yield END;
  } else {
    stats.emptyDocuments++;
  }
}

/**
 * The lines of a chunk stream, a batch per chunk, without their `\n` (and a `\r` before it).
 * Each chunk is scanned once, and one async step serves a whole chunk of lines.
 */
async function* lineBatches(chunks: AsyncIterable<string> | Iterable<string>): AsyncGenerator<string[]> {
  let parts: string[] = [];
  const strip = (s: string): string => (s.endsWith('\r') ? s.slice(0, -1) : s);
  for await (const chunk of chunks) {
    const batch: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      batch.push(strip(parts.length ? parts.join('') + piece : piece));
      parts = [];
      start = nl + 1;
    }
    if (start < chunk.length) parts.push(chunk.slice(start));
    if (batch.length) yield batch;
  }
  if (parts.length) yield [strip(parts.join(''))];
}

/** Consecutive sentences of one document, gathered into events of up to `EVENT_CHARS`. */
class SentenceRun {
  private texts: string[] = [];
  private ends: number[] = [];
  private chars = 0;

  get size(): number { return this.chars; }

  add(sentence: string): void {
    this.texts.push(sentence);
    this.chars += sentence.length;
    this.ends.push(this.chars);
  }

  take(): DocEvent | undefined {
    if (this.ends.length === 0) return undefined;
    const ev = { text: this.texts.join(''), ends: this.ends };
    this.texts = [];
    this.ends = [];
    this.chars = 0;
    return ev;
  }
}

async function* linesDocuments(chunks: AsyncIterable<string> | Iterable<string>, o: FormatOptions, stats: FormatStats): AsyncGenerator<DocEvent> {
  let open = false;
  const run = new SentenceRun();
  for await (const batch of lineBatches(chunks)) {
    const out: DocEvent[] = [];
    for (const line of batch) {
      if (!NON_SPACE.test(line)) {
        const ev = run.take();
        if (ev) out.push(ev);
        if (open) { stats.documents++; out.push(END); }
        open = false;
        continue;
      }
      open = true;
      if (line.length <= o.maxSentenceChars) {
        run.add(line);
        if (run.size >= EVENT_CHARS) out.push(run.take()!);
        continue;
      }
      const ev = run.take();
      if (ev) out.push(ev);
      out.push(...chunkEvents(line, chopLong(line, o.maxSentenceChars)));
    }
    yield* out;
  }
  const ev = run.take();
  if (ev) yield ev;
  if (open) { stats.documents++; yield END; }
}

async function* jsonlDocuments(chunks: AsyncIterable<string> | Iterable<string>, name: string, o: FormatOptions, stats: FormatStats): AsyncGenerator<DocEvent> {
  let lineNo = 0;
  for await (const batch of lineBatches(chunks)) for (const line of batch) {
    lineNo++;
    if (!NON_SPACE.test(line)) continue;
    let text: unknown;
    let problem: string | undefined;
    try {
      const value = JSON.parse(line);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) problem = 'not a JSON object';
      else if (typeof value[o.textField] !== 'string') problem = `field "${o.textField}" is missing or not a string`;
      else text = value[o.textField];
    } catch (err) {
      problem = `invalid JSON (${(err as Error).message})`;
    }
    if (problem !== undefined) {
      if (!o.skipBad) throw new MaskpackError('ERR_BAD_INPUT', `${name}:${lineNo}: ${problem}; use --skip-bad to skip such lines`);
      stats.skippedLines++;
      continue;
    }
    const doc = text as string;
    if (!NON_SPACE.test(doc)) {
      stats.emptyDocuments++;
      continue;
    }
    if (doc.length <= WORKER_SPLIT_CHARS) yield { text: doc, ends: null };
    else yield* chunkEvents(doc, splitSentences(doc, true, o.maxSentenceChars));
    stats.documents++;
    yield END;
  }
}

/** The document events of one input in `format`; `name` is used in error messages. */
export function documents(format: InputFormat, chunks: AsyncIterable<string> | Iterable<string>, name: string, o: FormatOptions, stats: FormatStats): AsyncGenerator<DocEvent> {
  if (format === 'lines') return linesDocuments(chunks, o, stats);
  if (format === 'jsonl') return jsonlDocuments(chunks, name, o, stats);
  return textDocument(chunks, o, stats);
}

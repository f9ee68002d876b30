/** `ingest`: inputs → sentences → tokens → a finished store. */
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { MaskpackError } from '../errors.js';
import { checkTokenizerOptions, loadTokenizer } from '../tokenizer/load.js';
import type { SpecialTokenChoice } from '../tokenizer/specials.js';
import { BUILTIN_TOKENIZER, type SpecialTextMode, type TokenizerOptions } from '../tokenizer/types.js';
import { BinaryInputError, decodeStream, readFileChunks, type DecodeStats } from './decode.js';
import { documents, INPUT_FORMATS, type DocEvent, type FormatStats, type InputFormat } from './documents.js';
import { runPipeline } from './pipeline.js';
import { planInputs, type Source } from './sources.js';
import { abortable, specialFileChunks } from './special.js';
import { DEFAULT_MAX_SENTENCE_CHARS } from './split.js';

/** Options shared by {@link ingest} and {@link ingestDocuments}. */
export interface IngestCommonOptions {
  /** Output prefix: writes `<out>.bin`, `<out>.idx`, `<out>.json` (atomically). */
  readonly out: string;
  /** Tokenizer threads (default: `os.availableParallelism()`). */
  readonly workers?: number;
  /** `roberta-gpt2` (default, built in) or the path of a Hugging Face tokenizer.json. */
  readonly tokenizer?: string;
  /** Special tokens by role for a tokenizer.json that lacks them (see {@link TokenizerOptions.specialTokens}). */
  readonly specialTokens?: SpecialTokenChoice;
  /** `plain` (default) or `match`: whether special-token text in the corpus may become special ids (see {@link TokenizerOptions.specialText}). */
  readonly specialText?: SpecialTextMode;
  /** Sentences longer than this many UTF-16 code units are cut (default 20000). */
  readonly maxSentenceChars?: number;
  /** Called as tokens are written (at most once per task of ≈64 K characters). */
  readonly onProgress?: (progress: IngestProgress) => void;
  /** Cancels the run; the output is then not created. */
  readonly signal?: AbortSignal;
}

/** Options of {@link ingest}. */
export interface IngestOptions extends IngestCommonOptions {
  /**
   * Files, directories, glob patterns, or `-` for standard input. A FIFO or device (for example
   * a shell's `<(zcat corpus.gz)`) is read front to back as a stream.
   */
  readonly inputs: readonly string[];
  /** Default: `jsonl` for `.jsonl` files, `text` otherwise (and for stdin). */
  readonly inputFormat?: InputFormat;
  /** The JSONL field holding a document's text (default `text`). */
  readonly textField?: string;
  /** Skip (and count) malformed JSONL lines and binary files instead of failing (default `false`). */
  readonly skipBad?: boolean;
  /** The stream `-` reads (default `process.stdin`). */
  readonly stdin?: Readable;
}

export interface IngestProgress {
  readonly bytes: number;
  /** Total input bytes when known (no stdin, FIFO or device among the inputs). */
  readonly totalBytes: number | undefined;
  readonly documents: number;
  readonly tokens: number;
  readonly seconds: number;
}

export interface IngestSummary {
  readonly out: string;
  readonly files: number;
  readonly bytes: number;
  readonly documents: number;
  readonly sentences: number;
  readonly tokens: number;
  /** Empty or whitespace-only documents, skipped. */
  readonly emptyDocuments: number;
  /** Malformed JSONL lines skipped under `skipBad`. */
  readonly skippedLines: number;
  /** Binary files skipped under `skipBad`. */
  readonly skippedFiles: number;
  /** Invalid UTF-8 sequences replaced by U+FFFD. */
  readonly invalidUtf8: number;
  /** Inputs (files, stdin, documents) that began with a UTF-8 byte-order mark, which was dropped. */
  readonly byteOrderMarks: number;
  readonly workers: number;
  readonly seconds: number;
  /** Input megabytes (10^6 bytes) per second. */
  readonly mbPerSecond: number;
}

interface Stats extends DecodeStats, FormatStats { skippedFiles: number; files: number }

function checkCommon(o: IngestCommonOptions): { workers: number; tokenizer: string; tokenizerOptions: TokenizerOptions; maxSentenceChars: number } {
  if (o === null || typeof o !== 'object') throw new TypeError(`options must be an object, got ${o}`);
  if (typeof o.out !== 'string' || o.out === '') throw new TypeError(`options.out must be a non-empty string, got ${JSON.stringify(o.out)}`);
  const workers = o.workers ?? os.availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`options.workers must be a positive integer, got ${o.workers}`);
  const tokenizer = o.tokenizer ?? BUILTIN_TOKENIZER;
  if (typeof tokenizer !== 'string' || tokenizer === '') throw new TypeError(`options.tokenizer must be a non-empty string, got ${JSON.stringify(o.tokenizer)}`);
  const maxSentenceChars = o.maxSentenceChars ?? DEFAULT_MAX_SENTENCE_CHARS;
  if (!Number.isInteger(maxSentenceChars) || maxSentenceChars < 16) {
    throw new RangeError(`options.maxSentenceChars must be an integer >= 16, got ${o.maxSentenceChars}`);
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new TypeError(`options.onProgress must be a function, got ${typeof o.onProgress}`);
  const tokenizerOptions = checkTokenizerOptions(tokenizer, { specialTokens: o.specialTokens, specialText: o.specialText });
  return { workers, tokenizer, tokenizerOptions, maxSentenceChars };
}

async function run(
  o: IngestCommonOptions, events: (stats: Stats, maxSentenceChars: number) => AsyncIterable<DocEvent>, totalBytes: number | undefined,
  provenance: Record<string, unknown>, extra: Record<string, unknown> = {},
): Promise<IngestSummary> {
  const { workers, tokenizer: spec, tokenizerOptions, maxSentenceChars } = checkCommon(o);
  const tokenizer = loadTokenizer(spec, tokenizerOptions);
  const stats: Stats = { bytes: 0, invalidUtf8: 0, byteOrderMarks: 0, documents: 0, emptyDocuments: 0, skippedLines: 0, skippedFiles: 0, files: 0 };
  const t0 = performance.now();
  const counts = (): Record<string, number> => ({
    files: stats.files, bytes: stats.bytes, emptyDocuments: stats.emptyDocuments, skippedLines: stats.skippedLines,
    skippedFiles: stats.skippedFiles, invalidUtf8: stats.invalidUtf8, byteOrderMarks: stats.byteOrderMarks,
  });
  const manifest = await runPipeline(events(stats, maxSentenceChars), {
    out: o.out, workers, tokenizerSpec: spec, tokenizerOptions, maxSentenceChars, tokenizer, signal: o.signal,
    onWrite: (documents, tokens) => o.onProgress?.({ bytes: stats.bytes, totalBytes, documents, tokens, seconds: (performance.now() - t0) / 1000 }),
    provenance: () => ({
      ...extra,
      ingest: { ...provenance, maxSentenceChars, specialText: tokenizerOptions.specialText ?? 'plain', ...specialTokensOf(tokenizerOptions), ...counts() },
    }),
  });
  const seconds = (performance.now() - t0) / 1000;
  return {
    out: o.out, files: stats.files, bytes: stats.bytes,
    documents: manifest.counts.documents, sentences: manifest.counts.sentences, tokens: manifest.counts.tokens,
    emptyDocuments: stats.emptyDocuments, skippedLines: stats.skippedLines, skippedFiles: stats.skippedFiles, invalidUtf8: stats.invalidUtf8,
    byteOrderMarks: stats.byteOrderMarks, workers, seconds, mbPerSecond: stats.bytes / 1e6 / seconds,
  };
}

/** The `specialTokens` given, for the manifest (omitted when none were). */
function specialTokensOf(o: TokenizerOptions): { specialTokens?: SpecialTokenChoice } {
  return o.specialTokens && Object.keys(o.specialTokens).length ? { specialTokens: o.specialTokens } : {};
}

function formatOf(source: Source, forced: InputFormat | undefined): InputFormat {
  if (forced) return forced;
  return source.kind !== 'stdin' && path.extname(source.path).toLowerCase() === '.jsonl' ? 'jsonl' : 'text';
}

/**
 * Ingest files, directories, globs or stdin into a store (see docs/store.md for every rule).
 * Rejects with `ERR_BAD_INPUT` (missing inputs, binary files, malformed JSONL without
 * `skipBad`), `ERR_WORKER` or `ERR_STORE_IO`; on any failure nothing is left at `out`.
 */
export async function ingest(options: IngestOptions): Promise<IngestSummary> {
  checkCommon(options);
  if (!Array.isArray(options.inputs) || options.inputs.length === 0 || !options.inputs.every((i) => typeof i === 'string' && i !== '')) {
    throw new TypeError(`options.inputs must be a non-empty array of non-empty strings, got ${JSON.stringify(options.inputs)}`);
  }
  if (options.inputFormat !== undefined && !INPUT_FORMATS.includes(options.inputFormat)) {
    throw new RangeError(`options.inputFormat must be one of ${INPUT_FORMATS.join(', ')}, got ${JSON.stringify(options.inputFormat)}`);
  }
  const textField = options.textField ?? 'text';
  if (typeof textField !== 'string' || textField === '') throw new TypeError(`options.textField must be a non-empty string, got ${JSON.stringify(options.textField)}`);
  const skipBad = options.skipBad ?? false;
  if (typeof skipBad !== 'boolean') throw new TypeError(`options.skipBad must be a boolean, got ${JSON.stringify(options.skipBad)}`);
  if (options.inputs.filter((i) => i === '-').length > 1) throw new RangeError('options.inputs may name "-" (stdin) only once');
  const plan = await planInputs(options.inputs);
  const signal = options.signal;
  const open = (source: Source): Iterable<Buffer> | AsyncIterable<Buffer> => {
    if (source.kind === 'file') return readFileChunks(source.path);
    if (source.kind === 'stdin') return abortable(options.stdin ?? process.stdin, signal);
    return specialFileChunks(source.path, source.fifo, signal);
  };
  async function* events(stats: Stats, maxSentenceChars: number): AsyncGenerator<DocEvent> {
    for (const source of plan.sources()) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      const name = source.kind === 'stdin' ? '<stdin>' : source.path;
      const fmt = { maxSentenceChars, textField, skipBad };
      let bytes: Iterable<Buffer> | AsyncIterable<Buffer> | undefined;
      try {
        bytes = open(source);
        yield* documents(formatOf(source, options.inputFormat), decodeStream(bytes, name, stats), name, fmt, stats);
        stats.files++;
      } catch (err) {
        if (err instanceof BinaryInputError && skipBad) {
          stats.skippedFiles++;
          continue;
        }
        if (err instanceof MaskpackError || signal?.aborted) throw err;
        throw new MaskpackError('ERR_BAD_INPUT', `${name}: ${(err as Error).message}`, { cause: err });
      } finally {
        if (source.kind === 'file') (bytes as Generator<Buffer> | undefined)?.return(undefined);
        else if (source.kind === 'special') (bytes as unknown as { destroy?: () => void } | undefined)?.destroy?.();
      }
    }
  }
  return run(options, events, plan.totalBytes, { inputFormat: options.inputFormat ?? 'auto', textField, skipBad });
}

/** A document given in memory. */
export interface TextDocument {
  readonly id?: string;
  readonly text: string;
}

/** Ingest documents from memory (split into sentences like the `text` format; a leading U+FEFF is dropped and counted as a byte-order mark) into a store. */
export async function ingestDocuments(
  docs: Iterable<TextDocument> | AsyncIterable<TextDocument>, options: IngestCommonOptions & { readonly provenance?: Record<string, unknown> },
): Promise<IngestSummary> {
  async function* events(stats: Stats, maxSentenceChars: number): AsyncGenerator<DocEvent> {
    const fmt = { maxSentenceChars, textField: 'text', skipBad: false };
    for await (const doc of docs) {
      if (typeof doc?.text !== 'string') throw new TypeError(`each document must have a string text, got ${typeof doc?.text}`);
      stats.bytes += Buffer.byteLength(doc.text);
      stats.files++;
      let text = doc.text;
      if (text.charCodeAt(0) === 0xfeff) {
        stats.byteOrderMarks++;
        text = text.slice(1);
      }
      yield* documents('text', [text], doc.id ?? '<document>', fmt, stats);
    }
  }
  return run(options, events, undefined, { inputFormat: 'documents' }, options.provenance);
}

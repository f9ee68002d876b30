/**
 * Export a store as a fairseq `MMapIndexedDataset` (`--dataset-impl mmap`), which cannot read
 * maskpack's own `.idx`: fairseq's index has the same magic but no document count and no
 * document index, so it takes the document count for the sequence count and the rest of the
 * file is misaligned.
 *
 * ```
 *  <out>.idx (fairseq's layout, little-endian)
 *  offset  size        field
 *  0       9           magic            "MMIDIDX\x00\x00"
 *  9       8   u64     version          1
 *  17      1   u8      dtype code       8 = uint16, 4 = int32 (fairseq's _code_to_dtype)
 *  18      8   u64     sequence count   N
 *  26      4*N i32     sizes (tokens)
 *  ..      8*N i64     pointers (byte offsets into .bin)
 *
 *  <out>.bin  the tokens of every sequence, back to back, in that dtype.
 * ```
 *
 * Layouts: `lines` (default) is what `fairseq-preprocess` makes of a one-sentence-per-line
 * corpus with blank lines between documents: every sentence followed by `</s>`, and a sequence
 * holding only `</s>` between two documents, which fairseq's `--sample-break-mode complete_doc`
 * reads as a document boundary. `sentences` writes the store's sentences as they are (no `</s>`,
 * no boundaries; `.bin` byte-identical to the store's).
 *
 * `dict.txt` (written beside `<out>` unless disabled, when the store's ids fit fairseq's
 * `Dictionary`: `<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3, `<mask>` the last id, which the
 * `masked_lm` task appends): one `symbol count` line per id from 4 to the one before `<mask>`,
 * so fairseq numbers them as the store does. Symbols are GPT-2 piece numbers for the built-in
 * tokenizer (fairseq's `--bpe gpt2` convention; its reserved ids as `madeupword000N`), the id
 * itself otherwise; counts are the store's token counts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MaskpackError } from '../errors.js';
import { BUILTIN_TOKENIZER } from '../tokenizer/types.js';
import { DTYPE_BYTES, DTYPE_CODES, IDX_MAGIC, IDX_VERSION } from './format.js';
import { writeError } from './io-error.js';
import { openStore, type OpenedStore } from './reader.js';

export type FairseqLayout = 'lines' | 'sentences';
export const FAIRSEQ_LAYOUTS: readonly FairseqLayout[] = ['lines', 'sentences'];

export interface FairseqExportOptions {
  /** `lines` (default: `</s>` after each sentence, an `</s>` sequence between documents) or `sentences`. */
  readonly layout?: FairseqLayout;
  /** Write `dict.txt` beside `<out>` when the store's ids allow it (default `true`). */
  readonly dict?: boolean;
  /** Cancels the export; nothing is then left at `out`. */
  readonly signal?: AbortSignal;
}

export interface FairseqExportSummary {
  readonly out: string;
  readonly layout: FairseqLayout;
  readonly sequences: number;
  readonly tokens: number;
  readonly dtype: 'uint16' | 'int32';
  /** The `dict.txt` written, or why none was. */
  readonly dict: { readonly path: string } | { readonly skipped: string };
}

/** Tokens read from the store per step. */
const CHUNK_TOKENS = 1 << 18;

/** A file written front to back through a buffer, fsynced and closed by `close()`. */
class Output {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafeSlow(1 << 20);
  private used = 0;
  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w');
  }
  put(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buf.length) this.flush();
    if (bytes.length > this.buf.length) this.write(bytes);
    else {
      this.buf.set(bytes, this.used);
      this.used += bytes.length;
    }
  }
  close(): void {
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }
  discard(): void {
    try { fs.closeSync(this.fd); } catch { /* already closed */ }
    fs.rmSync(this.file, { force: true });
  }
  private flush(): void {
    this.write(this.buf.subarray(0, this.used));
    this.used = 0;
  }
  private write(b: Uint8Array): void {
    try {
      for (let off = 0; off < b.length;) off += fs.writeSync(this.fd, b, off, b.length - off);
    } catch (err) {
      throw writeError(this.file, err);
    }
  }
}

/** Every sentence length of the store, in order, read in chunks (no array of S entries). */
function* lengthsOf(store: OpenedStore): Generator<number> {
  const buf = new Int32Array(1 << 16);
  for (let first = 0; first < store.numSentences; first += buf.length) {
    const n = Math.min(buf.length, store.numSentences - first);
    const lengths = store.readSentenceLengths(first, n, buf);
    for (let i = 0; i < n; i++) yield lengths[i];
  }
}

/** Each sentence's length and whether a document boundary precedes it (not before the first). */
function* sentencesOf(store: OpenedStore): Generator<{ length: number; boundary: boolean }> {
  let k = 0;
  let d = 0;
  for (const length of lengthsOf(store)) {
    while (k === store.documentIndex[d + 1]) d++;
    yield { length, boundary: d > 0 && k === store.documentIndex[d] };
    k++;
  }
}

/** The sequence sizes of the layout, in order. */
function* sizes(store: OpenedStore, layout: FairseqLayout): Generator<number> {
  for (const { length, boundary } of sentencesOf(store)) {
    if (layout === 'sentences') {
      yield length;
      continue;
    }
    if (boundary) yield 1;
    yield length + 1;
  }
}

/** Little-endian int64 of a non-negative value below 2^53. */
function putInt64(b: Buffer, offset: number, v: number): void {
  b.writeUInt32LE(v % 4294967296, offset);
  b.writeUInt32LE(Math.floor(v / 4294967296), offset + 4);
}

/** Why the store's ids cannot be numbered by a fairseq `Dictionary`, or undefined when they can. */
function dictProblem(store: OpenedStore): string | undefined {
  const s = store.specials;
  if (s.bos !== 0 || s.pad !== 1 || s.eos !== 2 || s.unk !== 3) return `its special ids are not fairseq's <s>=0, <pad>=1, </s>=2, <unk>=3`;
  if (s.mask !== store.vocabSize - 1) return `its <mask> (${s.mask}) is not the last id (${store.vocabSize - 1}), where fairseq's masked_lm task adds it`;
  return undefined;
}

function dictText(store: OpenedStore, counts: Float64Array): string {
  const builtin = store.manifest.tokenizer.name === BUILTIN_TOKENIZER;
  const lines: string[] = [];
  for (let id = 4; id < store.vocabSize - 1; id++) {
    const symbol = !builtin ? String(id) : id <= 50260 ? String(id - 4) : `madeupword${String(id - 50261).padStart(4, '0')}`;
    lines.push(`${symbol} ${counts[id]}\n`);
  }
  return lines.join('');
}

function writeIdx(out: Output, store: OpenedStore, layout: FairseqLayout, n: number): void {
  const header = Buffer.alloc(26);
  IDX_MAGIC.copy(header, 0);
  header.writeBigUInt64LE(BigInt(IDX_VERSION), 9);
  header.writeUInt8(DTYPE_CODES[store.dtype], 17);
  header.writeBigUInt64LE(BigInt(n), 18);
  out.put(header);
  const block = 1 << 16;
  const ints = Buffer.allocUnsafe(4 * block);
  let k = 0;
  for (const size of sizes(store, layout)) {
    ints.writeInt32LE(size, 4 * k++);
    if (k === block) { out.put(ints); k = 0; }
  }
  out.put(ints.subarray(0, 4 * k));
  const longs = Buffer.allocUnsafe(8 * block);
  const width = DTYPE_BYTES[store.dtype];
  let pointer = 0;
  k = 0;
  for (const size of sizes(store, layout)) {
    putInt64(longs, 8 * k++, pointer);
    pointer += size * width;
    if (k === block) { out.put(longs); k = 0; }
  }
  out.put(longs.subarray(0, 8 * k));
}

/**
 * Write `<out>.bin` and `<out>.idx` in fairseq's `MMapIndexedDataset` layout from the store at
 * `prefix` (and `dict.txt` beside them, see the module comment). Files appear atomically (written
 * under temporary names, `.idx` renamed last); on failure or abort nothing is left at `out`.
 * Rejects with the store's errors, `ERR_STORE_IO` for a failed write, `ERR_BAD_INPUT` when an
 * existing `dict.txt` differs from the one this store needs.
 */
export async function exportFairseq(prefix: string, out: string, options: FairseqExportOptions = {}): Promise<FairseqExportSummary> {
  if (typeof out !== 'string' || out === '') throw new TypeError(`out must be a non-empty string, got ${JSON.stringify(out)}`);
  const layout = options.layout ?? 'lines';
  if (!FAIRSEQ_LAYOUTS.includes(layout)) throw new RangeError(`options.layout must be one of ${FAIRSEQ_LAYOUTS.join(', ')}, got ${JSON.stringify(options.layout)}`);
  const wantDict = options.dict ?? true;
  if (typeof wantDict !== 'boolean') throw new TypeError(`options.dict must be a boolean, got ${JSON.stringify(options.dict)}`);
  const store = openStore(prefix);
  const tag = `${process.pid}.tmp`;
  const files = { bin: `${out}.bin`, idx: `${out}.idx`, dict: path.join(path.dirname(out), 'dict.txt') };
  let bin: Output | undefined;
  let idx: Output | undefined;
  try {
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    const problem = dictProblem(store);
    const counts = new Float64Array(store.vocabSize);
    bin = new Output(`${files.bin}.${tag}`);
    const eos = store.specials.eos;
    const width = DTYPE_BYTES[store.dtype];
    const ids = new Int32Array(CHUNK_TOKENS);
    const outIds = store.dtype === 'uint16' ? new Uint16Array(CHUNK_TOKENS) : new Int32Array(CHUNK_TOKENS);
    const outBytes = new Uint8Array(outIds.buffer);
    let n = 0;
    const emit = (t: number): void => {
      if (n === CHUNK_TOKENS) { bin!.put(outBytes.subarray(0, n * width)); n = 0; }
      outIds[n++] = t;
    };
    // The flat token sequence, read front to back in chunks.
    let read = 0;
    let have = 0;
    let at = 0;
    for (const { length, boundary } of sentencesOf(store)) {
      if (layout === 'lines' && boundary) emit(eos);
      for (let j = 0; j < length; j++) {
        if (at === have) {
          if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
          await new Promise(setImmediate);
          have = Math.min(CHUNK_TOKENS, store.numTokens - read);
          store.readTokens(read, have, ids);
          read += have;
          at = 0;
        }
        const t = ids[at++];
        counts[t]++;
        emit(t);
      }
      if (layout === 'lines') emit(eos);
    }
    bin.put(outBytes.subarray(0, n * width));
    bin.close();
    const sequences = layout === 'lines' ? store.numSentences + Math.max(0, store.numDocuments - 1) : store.numSentences;
    idx = new Output(`${files.idx}.${tag}`);
    writeIdx(idx, store, layout, sequences);
    idx.close();
    let dict: FairseqExportSummary['dict'];
    if (!wantDict) dict = { skipped: 'not asked for' };
    else if (problem) dict = { skipped: `the store's ids do not fit a fairseq Dictionary: ${problem}` };
    else {
      const text = dictText(store, counts);
      let existing: string | undefined;
      try { existing = fs.readFileSync(files.dict, 'utf8'); } catch { existing = undefined; }
      const sameSymbols = (a: string, b: string): boolean => a.split('\n').map((l) => l.slice(0, l.lastIndexOf(' '))).join('\n') === b.split('\n').map((l) => l.slice(0, l.lastIndexOf(' '))).join('\n');
      if (existing !== undefined && !sameSymbols(existing, text)) {
        throw new MaskpackError('ERR_BAD_INPUT', `${files.dict}: exists with other symbols than this store needs; remove it or export with --no-dict`);
      }
      if (existing === undefined) {
        const d = new Output(`${files.dict}.${tag}`);
        d.put(Buffer.from(text));
        d.close();
        fs.renameSync(`${files.dict}.${tag}`, files.dict);
      }
      dict = { path: files.dict };
    }
    fs.rmSync(files.idx, { force: true });
    fs.renameSync(`${files.bin}.${tag}`, files.bin);
    fs.renameSync(`${files.idx}.${tag}`, files.idx);
    return { out, layout, sequences, tokens: store.numTokens + (layout === 'lines' ? sequences : 0), dtype: store.dtype, dict };
  } catch (err) {
    bin?.discard();
    idx?.discard();
    fs.rmSync(`${files.dict}.${tag}`, { force: true });
    if (err instanceof MaskpackError || err === options.signal?.reason) throw err;
    throw writeError(out, err);
  } finally {
    store.close();
  }
}

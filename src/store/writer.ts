/**
 * The streaming store writer. Memory is constant (a 1 MiB write buffer and two 256 KiB index
 * blocks): tokens go to `<prefix>.bin` as they arrive, sentence lengths and document starts to
 * temporary files that are streamed into `<prefix>.idx` at the end.
 *
 * Output is atomic: everything is written under `<file>.<pid>-<n>.tmp` names, flushed with
 * fsync, and renamed in the order .bin, .idx, .json on {@link StoreWriter.finish}. An existing
 * `<prefix>.json` is removed first, so an interruption never leaves a manifest beside files it
 * does not describe. {@link StoreWriter.abort} deletes the temporaries; those of a run that was
 * killed are removed by the next writer to the same prefix (once their process is gone).
 */
import { createHash, type Hash } from 'node:crypto';
import { ParallelHash } from './parallel-hash.js';
import { SpillList } from './spill.js';
import fs from 'node:fs';
import path from 'node:path';
import { MaskpackError } from '../errors.js';
import { writeError } from './io-error.js';
import { removeStaleTemporaries } from '../stale.js';
import {
  DTYPE_BYTES, dtypeForVocab, encodeIdxHeader, int64s, storePaths, type StoreDtype,
} from './format.js';
import {
  encodeBitset, MANIFEST_FORMAT, MANIFEST_VERSION, type StoreManifest, type TokenizerIdentity,
} from './manifest.js';
import type { SpecialTokens } from './types.js';
import { manifestDigest } from './validate.js';

/** What a store describes besides its tokens. */
export interface StoreWriterOptions {
  /** Ids must be in `[0, vocabSize)`; selects the dtype (uint16 up to 65536 ids, else int32). */
  readonly vocabSize: number;
  readonly specials: SpecialTokens & { readonly tokens?: Readonly<Record<string, number>> };
  readonly tokenizer: TokenizerIdentity;
  /** Word-start table `[vocabSize]` and its rule, or `null` when the tokenizer has none. */
  readonly wordStarts?: { rule: string; description: string; table: Uint8Array } | null;
  /** How whitespace between sentences is kept; recorded in the manifest. */
  readonly whitespace?: string;
  readonly provenance?: Record<string, unknown>;
  /**
   * Hash `.bin` and `.idx` in a thread of their own, so that writing does not wait for sha256
   * (for `merge`, which copies at disk speed). Default false.
   */
  readonly parallelHash?: boolean;
}

const WRITE_BUFFER_BYTES = 1 << 20;

/** The writer's pid in the name of a temporary of the store `base` (`<base>.bin.<pid>-<n>.tmp`, …). */
function temporaryPid(base: string): (name: string) => number | undefined {
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^${escaped}\\.(?:bin|json|idx(?:\\.lengths|\\.docs)?)\\.(\\d+)-\\d+\\.tmp$`);
  return (name) => {
    const m = pattern.exec(name);
    return m ? Number(m[1]) : undefined;
  };
}

let tmpCounter = 0;

/** Writes one store; see the module comment for the atomicity contract. */
export class StoreWriter {
  readonly prefix: string;
  readonly dtype: StoreDtype;
  private readonly options: StoreWriterOptions;
  private readonly tmp: { bin: string; idx: string; json: string; lengths: string; docs: string };
  private binFd = -1;
  private readonly binHash: Hash | ParallelHash;
  private readonly buf = Buffer.allocUnsafeSlow(WRITE_BUFFER_BYTES);
  private bufUsed = 0;
  private lengths!: SpillList;
  private docIndex!: SpillList;
  private sentences = 0;
  private documents = 0;
  private docFirstSentence = 0;
  private tokens = 0;
  /** Tokens written to `.bin` (equal to `tokens`, the sum of the lengths, unless the raw merge path is mid-way). */
  private binTokens = 0;
  private state: 'open' | 'finished' | 'aborted' = 'open';
  /** Written into the manifest by {@link finish}; may be set until then. */
  provenance: Record<string, unknown> | undefined;
  /** Word-start table for the manifest; may be set until {@link finish} (e.g. once a worker computed it). */
  wordStarts: { rule: string; description: string; table: Uint8Array } | null;

  constructor(prefix: string, options: StoreWriterOptions) {
    if (typeof prefix !== 'string' || prefix === '') {
      throw new TypeError(`prefix must be a non-empty string, got ${JSON.stringify(prefix)}`);
    }
    const v = options?.vocabSize;
    if (!Number.isInteger(v) || v < 1 || v > 2 ** 31) {
      throw new RangeError(`options.vocabSize must be an integer in [1, 2^31], got ${v}`);
    }
    if (options.tokenizer?.vocabSize !== v) {
      throw new RangeError(`options.tokenizer.vocabSize must equal options.vocabSize (${v}), got ${options.tokenizer?.vocabSize}`);
    }
    if (options.wordStarts && options.wordStarts.table.length !== v) {
      throw new RangeError(`options.wordStarts.table must have vocabSize (${v}) entries, got ${options.wordStarts.table.length}`);
    }
    this.prefix = prefix;
    this.options = options;
    this.binHash = options.parallelHash ? new ParallelHash() : createHash('sha256');
    this.provenance = options.provenance;
    this.wordStarts = options.wordStarts ?? null;
    this.dtype = dtypeForVocab(v);
    const tag = `${process.pid}-${tmpCounter++}.tmp`;
    const p = storePaths(prefix);
    this.tmp = {
      bin: `${p.bin}.${tag}`, idx: `${p.idx}.${tag}`, json: `${p.json}.${tag}`,
      lengths: `${p.idx}.lengths.${tag}`, docs: `${p.idx}.docs.${tag}`,
    };
    try {
      const dir = path.dirname(path.resolve(prefix));
      fs.mkdirSync(dir, { recursive: true });
      removeStaleTemporaries(dir, temporaryPid(path.basename(prefix)));
      this.binFd = fs.openSync(this.tmp.bin, 'w');
      this.lengths = new SpillList(this.tmp.lengths);
      this.docIndex = new SpillList(this.tmp.docs);
    } catch (err) {
      this.abort();
      throw new MaskpackError('ERR_STORE_IO', `cannot create ${this.tmp.bin}: ${(err as Error).message}`, { cause: err });
    }
  }

  get numDocuments(): number { return this.documents; }
  get numSentences(): number { return this.sentences; }
  get numTokens(): number { return this.tokens; }

  /** Append one sentence (token ids without special tokens) to the current document. */
  addSentence(ids: ArrayLike<number>): void {
    this.appendTokens(ids, [ids.length]);
  }

  /**
   * Append several sentences at once: `tokens` holds them back to back, `lengths` their sizes.
   * Every id is checked against the vocabulary (a `MaskpackError` `ERR_BAD_INPUT` otherwise).
   */
  appendTokens(tokens: ArrayLike<number>, lengths: ArrayLike<number>): void {
    this.checkOpen();
    let total = 0;
    for (let i = 0; i < lengths.length; i++) total += lengths[i];
    if (total !== tokens.length) {
      throw new RangeError(`lengths must add up to tokens.length (${tokens.length}), got ${total}`);
    }
    const vocab = this.options.vocabSize;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (!(t >= 0 && t < vocab) || !Number.isInteger(t)) {
        throw new MaskpackError('ERR_BAD_INPUT', `token id ${t} at position ${i} is not in [0, ${vocab})`);
      }
    }
    this.pushLengths(lengths);
    const width = DTYPE_BYTES[this.dtype];
    const perBuf = WRITE_BUFFER_BYTES / width;
    for (let i = 0; i < tokens.length;) {
      if (this.bufUsed === WRITE_BUFFER_BYTES) this.flush();
      const room = (WRITE_BUFFER_BYTES - this.bufUsed) / width;
      const n = Math.min(room, tokens.length - i, perBuf);
      const view = this.dtype === 'uint16'
        ? new Uint16Array(this.buf.buffer, this.buf.byteOffset + this.bufUsed, n)
        : new Int32Array(this.buf.buffer, this.buf.byteOffset + this.bufUsed, n);
      for (let j = 0; j < n; j++) view[j] = tokens[i + j];
      this.bufUsed += n * width;
      i += n;
    }
    this.tokens += total;
    this.binTokens += total;
  }

  /**
   * Append raw `.bin` bytes of already validated sentences (used by merge); `bytes` must hold
   * exactly `sum(lengths)` tokens in this writer's dtype.
   */
  appendRaw(bytes: Uint8Array, lengths: ArrayLike<number>): void {
    this.checkOpen();
    let total = 0;
    for (let i = 0; i < lengths.length; i++) total += lengths[i];
    if (total * DTYPE_BYTES[this.dtype] !== bytes.length) {
      throw new RangeError(`bytes.length must be ${total * DTYPE_BYTES[this.dtype]}, got ${bytes.length}`);
    }
    this.pushLengths(lengths);
    if (bytes.length <= WRITE_BUFFER_BYTES - this.bufUsed) {
      this.buf.set(bytes, this.bufUsed);
      this.bufUsed += bytes.length;
    } else {
      this.flush();
      this.writeBin(bytes);
    }
    this.tokens += total;
    this.binTokens += total;
  }

  /**
   * The merge path, which copies a store's parts at disk speed: raw `.bin` bytes of already
   * validated tokens (a whole number of tokens in this writer's dtype), with the sentences'
   * lengths given separately ({@link appendSentenceLengths}); both must add up to the same
   * tokens by {@link finish}.
   */
  appendRawTokens(bytes: Uint8Array): void {
    this.checkOpen();
    const width = DTYPE_BYTES[this.dtype];
    if (bytes.length % width !== 0) throw new RangeError(`bytes.length must be a multiple of ${width}, got ${bytes.length}`);
    this.flush();
    this.writeBin(bytes);
    this.binTokens += bytes.length / width;
  }

  /** The merge path: lengths of sentences whose tokens come (or came) through {@link appendRawTokens}. */
  appendSentenceLengths(lengths: Int32Array): void {
    this.checkOpen();
    this.pushLengths(lengths);
    let total = 0;
    for (let i = 0; i < lengths.length; i++) total += lengths[i];
    this.tokens += total;
  }

  /**
   * The merge path: closes the current document after sentence `end` (a count of sentences so
   * far, at least the previous document's end and at most {@link numSentences}); a document
   * without sentences is not recorded, as with {@link endDocument}.
   */
  endDocumentAt(end: number): void {
    this.checkOpen();
    if (!Number.isInteger(end) || end < this.docFirstSentence || end > this.sentences) {
      throw new RangeError(`document end must be an integer in [${this.docFirstSentence}, ${this.sentences}], got ${end}`);
    }
    if (end === this.docFirstSentence) return;
    this.documents++;
    this.docIndex.push(end);
    this.docFirstSentence = end;
  }

  /** Close the current document. A document without sentences is not recorded. */
  endDocument(): void {
    this.checkOpen();
    if (this.sentences === this.docFirstSentence) return;
    this.documents++;
    this.docIndex.push(this.sentences);
    this.docFirstSentence = this.sentences;
  }

  /** Append a whole document. */
  addDocument(sentences: Iterable<ArrayLike<number>>): void {
    for (const s of sentences) this.addSentence(s);
    this.endDocument();
  }

  /**
   * Write the index and the manifest and rename all three files into place. A document still
   * open is closed first. Returns the manifest.
   */
  finish(): StoreManifest {
    this.checkOpen();
    if (this.binTokens !== this.tokens) {
      this.abort();
      throw new RangeError(`the sentence lengths add up to ${this.tokens} tokens, but ${this.binTokens} were written`);
    }
    this.endDocument();
    if (this.wordStarts && this.wordStarts.table.length !== this.options.vocabSize) {
      throw new RangeError(`wordStarts.table must have vocabSize (${this.options.vocabSize}) entries, got ${this.wordStarts.table.length}`);
    }
    try {
      this.flush();
      fs.fsyncSync(this.binFd);
      fs.closeSync(this.binFd);
      this.binFd = -1;
      const idxSha = this.writeIdx();
      const o = this.options;
      const content: StoreManifest = {
        format: MANIFEST_FORMAT,
        formatVersion: MANIFEST_VERSION,
        idx: { layout: 'MMIDIDX', version: 1, dtype: this.dtype },
        tokenizer: o.tokenizer,
        specialTokens: o.specials,
        wordStarts: this.wordStarts
          ? { rule: this.wordStarts.rule, description: this.wordStarts.description, bitset: encodeBitset(this.wordStarts.table) }
          : null,
        whitespace: o.whitespace ?? 'unspecified',
        counts: { documents: this.documents, sentences: this.sentences, tokens: this.tokens },
        sha256: { bin: this.binHash.digest('hex') as string, idx: idxSha },
        ...(this.provenance ? { provenance: this.provenance } : {}),
      };
      const manifest: StoreManifest = { ...content, sha256: { ...content.sha256, manifest: manifestDigest(content) } };
      const fd = fs.openSync(this.tmp.json, 'w');
      fs.writeSync(fd, JSON.stringify(manifest, null, 2) + '\n');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      const p = storePaths(this.prefix);
      fs.rmSync(p.json, { force: true });
      fs.renameSync(this.tmp.bin, p.bin);
      fs.renameSync(this.tmp.idx, p.idx);
      fs.renameSync(this.tmp.json, p.json);
      this.lengths.dispose();
      this.docIndex.dispose();
      this.state = 'finished';
      return manifest;
    } catch (err) {
      this.abort();
      if (err instanceof MaskpackError) throw err;
      throw new MaskpackError('ERR_STORE_IO', `cannot write store ${this.prefix}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Discard everything written so far (idempotent; a no-op after finish). */
  abort(): void {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    if (this.binHash instanceof ParallelHash) this.binHash.dispose();
    if (this.binFd >= 0) {
      try { fs.closeSync(this.binFd); } catch { /* already closed */ }
      this.binFd = -1;
    }
    this.lengths?.dispose();
    this.docIndex?.dispose();
    for (const f of Object.values(this.tmp)) {
      try { fs.rmSync(f, { force: true }); } catch { /* never created (e.g. the directory is missing) */ }
    }
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new MaskpackError('ERR_CLOSED', `store writer for ${this.prefix} is ${this.state}`);
  }

  private pushLengths(lengths: ArrayLike<number>): void {
    for (let i = 0; i < lengths.length; i++) {
      const n = lengths[i];
      if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
        throw new RangeError(`sentence length must be a non-negative int32, got ${n}`);
      }
    }
    for (let i = 0; i < lengths.length; i++) this.lengths.push(lengths[i]);
    this.sentences += lengths.length;
  }

  private flush(): void {
    if (this.bufUsed === 0) return;
    this.writeBin(this.buf.subarray(0, this.bufUsed));
    this.bufUsed = 0;
  }

  private writeBin(bytes: Uint8Array): void {
    this.binHash.update(bytes);
    let off = 0;
    try {
      while (off < bytes.length) off += fs.writeSync(this.binFd, bytes, off, bytes.length - off);
    } catch (err) {
      throw writeError(this.tmp.bin, err);
    }
  }

  /** Write the .idx temp file in chunks; returns its sha256. */
  private writeIdx(): string {
    const hash = this.options.parallelHash ? new ParallelHash() : createHash('sha256');
    const fd = fs.openSync(this.tmp.idx, 'w');
    const put = (b: Buffer): void => {
      hash.update(b);
      let off = 0;
      try {
        while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off);
      } catch (err) {
        throw writeError(this.tmp.idx, err);
      }
    };
    const S = this.sentences;
    const D = this.documents;
    const width = DTYPE_BYTES[this.dtype];
    put(encodeIdxHeader(this.dtype, S, D));
    for (const chunk of this.lengths.chunks()) put(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    let pointer = 0;
    for (const chunk of this.lengths.chunks()) {
      const { bytes, end } = int64s(chunk, { scale: width, start: pointer });
      put(bytes);
      pointer = end;
    }
    put(Buffer.alloc(8));
    for (const chunk of this.docIndex.chunks()) put(int64s(chunk).bytes);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    return hash.digest('hex') as string;
  }
}

/** Create a {@link StoreWriter} for `<prefix>.bin/.idx/.json`. */
export function createStoreWriter(prefix: string, options: StoreWriterOptions): StoreWriter {
  return new StoreWriter(prefix, options);
}

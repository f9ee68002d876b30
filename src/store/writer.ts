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
import { SpillList } from './spill.js';
import fs from 'node:fs';
import path from 'node:path';
import { MaskpackError } from '../errors.js';
import { removeStaleTemporaries } from '../stale.js';
import {
  DTYPE_BYTES, dtypeForVocab, encodeIdxHeader, storePaths, writeInt64s, type StoreDtype,
} from './format.js';
import {
  encodeBitset, MANIFEST_FORMAT, MANIFEST_VERSION, type StoreManifest, type TokenizerIdentity,
} from './manifest.js';
import type { SpecialTokens } from './types.js';

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
  private readonly binHash: Hash = createHash('sha256');
  private readonly buf = Buffer.allocUnsafeSlow(WRITE_BUFFER_BYTES);
  private bufUsed = 0;
  private lengths!: SpillList;
  private docIndex!: SpillList;
  private sentences = 0;
  private documents = 0;
  private docFirstSentence = 0;
  private tokens = 0;
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
      const manifest: StoreManifest = {
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
        sha256: { bin: this.binHash.digest('hex'), idx: idxSha },
        ...(this.provenance ? { provenance: this.provenance } : {}),
      };
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
    while (off < bytes.length) off += fs.writeSync(this.binFd, bytes, off, bytes.length - off);
  }

  /** Write the .idx temp file in chunks; returns its sha256. */
  private writeIdx(): string {
    const hash = createHash('sha256');
    const fd = fs.openSync(this.tmp.idx, 'w');
    const put = (b: Buffer): void => {
      hash.update(b);
      let off = 0;
      while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off);
    };
    const S = this.sentences;
    const D = this.documents;
    const width = DTYPE_BYTES[this.dtype];
    put(encodeIdxHeader(this.dtype, S, D));
    for (const chunk of this.lengths.chunks()) put(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    let pointer = 0;
    for (const chunk of this.lengths.chunks()) {
      const b = Buffer.allocUnsafe(chunk.length * 8);
      writeInt64s(b, 0, chunk.length, (j) => {
        const v = pointer;
        pointer += chunk[j] * width;
        return v;
      });
      put(b);
    }
    put(Buffer.alloc(8));
    for (const chunk of this.docIndex.chunks()) {
      const b = Buffer.allocUnsafe(chunk.length * 8);
      writeInt64s(b, 0, chunk.length, (j) => chunk[j]);
      put(b);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    return hash.digest('hex');
  }
}

/** Create a {@link StoreWriter} for `<prefix>.bin/.idx/.json`. */
export function createStoreWriter(prefix: string, options: StoreWriterOptions): StoreWriter {
  return new StoreWriter(prefix, options);
}

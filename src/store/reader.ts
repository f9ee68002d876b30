/**
 * Opening a store: validate every file (see `validate.ts`), then serve positional reads of
 * `<prefix>.bin` (tokens) and `<prefix>.idx` (sentence lengths). Nothing is memory-mapped and
 * nothing per sentence or per token stays in memory: only the per-document arrays (12 bytes per
 * document). The operating system's page cache is the cache.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { MaskpackError } from '../errors.js';
import { DTYPE_BYTES, IDX_HEADER_BYTES, storePaths, type StoreDtype } from './format.js';
import type { StoreManifest } from './manifest.js';
import { checkSentenceRange } from './layout.js';
import type { SpecialTokens, TokenSource, TokenStore } from './types.js';
import { checkManifest, corrupt, parseIdx, parseManifest, type ParsedIdx } from './validate.js';

/** How much of a store {@link openStore} verifies beyond the structure (which it always checks). */
export interface OpenStoreOptions {
  /**
   * Scan every token of `.bin` and check it is below the vocabulary size (default `true`;
   * about 0.9 GB/s). Turn it off only for files you trust, e.g. after `verifyChecksums` passed
   * once, or for a store this process just wrote.
   */
  readonly verifyIds?: boolean;
  /** Hash `.bin` and `.idx` and compare with the manifest's sha256 (default `false`). */
  readonly verifyChecksums?: boolean;
}

/** A {@link TokenStore} over open files; also exposes its manifest. */
export interface OpenedStore extends TokenStore {
  readonly manifest: StoreManifest;
}

const SCAN_BYTES = 8 << 20;

function io(file: string, err: unknown): MaskpackError {
  return new MaskpackError('ERR_STORE_IO', `${file}: ${(err as Error).message}`, { cause: err });
}

function readFully(fd: number, target: Uint8Array, position: number): void {
  let done = 0;
  while (done < target.length) {
    const n = fs.readSync(fd, target, done, Math.min(target.length - done, 1 << 30), position + done);
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += n;
  }
}

function hashFile(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(SCAN_BYTES);
    for (let pos = 0; ;) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Scan `.bin` for an id outside `[0, vocab)`; throws naming the first offending token. */
function scanIds(file: string, fd: number, dtype: StoreDtype, numTokens: number, vocab: number): void {
  const width = DTYPE_BYTES[dtype];
  if (dtype === 'uint16' && vocab >= 65536) return;
  const buf = Buffer.allocUnsafeSlow(SCAN_BYTES);
  const perChunk = SCAN_BYTES / width;
  for (let t = 0; t < numTokens; t += perChunk) {
    const n = Math.min(perChunk, numTokens - t);
    readFully(fd, buf.subarray(0, n * width), t * width);
    const view = dtype === 'uint16' ? new Uint16Array(buf.buffer, 0, n) : new Int32Array(buf.buffer, 0, n);
    let max = 0;
    for (let i = 0; i < n; i++) {
      const v = view[i] >>> 0;
      if (v > max) max = v;
    }
    if (max >= vocab) {
      for (let i = 0; i < n; i++) {
        if ((view[i] >>> 0) >= vocab) throw corrupt(file, `token[${t + i}]`, `is ${view[i]}, not below the vocabulary size ${vocab}`);
      }
    }
  }
}

/** The largest manifest accepted: far above any real one (a 2^24-id word-start bitset is 2.8 MB of base64). */
export const MAX_MANIFEST_BYTES = 64 << 20;

/** `file` opened for reading without blocking, if it is a regular file (ERR_STORE_IO otherwise, naming it). */
function openRegular(file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw io(file, err);
  }
  let regular = false;
  try {
    regular = fs.fstatSync(fd).isFile();
  } catch (err) {
    fs.closeSync(fd);
    throw io(file, err);
  }
  if (!regular) {
    fs.closeSync(fd);
    throw new MaskpackError('ERR_STORE_IO', `${file}: is not a regular file (a FIFO, a device or a directory); a store's files must be regular files`);
  }
  return fd;
}

/** The manifest's text, at most {@link MAX_MANIFEST_BYTES} (ERR_STORE_CORRUPT beyond). */
function readManifestText(file: string, fd: number): string {
  let size: number;
  try {
    size = fs.fstatSync(fd).size;
  } catch (err) {
    throw io(file, err);
  }
  if (size > MAX_MANIFEST_BYTES) throw corrupt(file, 'file size', `is ${size} bytes, more than a manifest can need (${MAX_MANIFEST_BYTES})`);
  const b = Buffer.allocUnsafe(size);
  try {
    readFully(fd, b, 0);
  } catch (err) {
    throw io(file, err);
  }
  return b.toString('utf8');
}

class FileTokenStore implements OpenedStore {
  readonly prefix: string;
  readonly dtype: StoreDtype;
  readonly vocabSize: number;
  readonly specials: SpecialTokens;
  readonly wordStarts: Uint8Array | undefined;
  readonly numDocuments: number;
  readonly numSentences: number;
  readonly numTokens: number;
  readonly documentIndex: Int32Array;
  readonly documentTokenStarts: Float64Array;
  readonly manifest: StoreManifest;
  private fd: number;
  private idxFd: number;
  private scratch = Buffer.allocUnsafeSlow(1 << 16);
  private readonly binFile: string;
  private readonly idxFile: string;

  constructor(prefix: string, fd: number, idxFd: number, manifest: StoreManifest, idx: ParsedIdx, wordStarts: Uint8Array | undefined) {
    this.prefix = prefix;
    this.fd = fd;
    this.idxFd = idxFd;
    this.binFile = storePaths(prefix).bin;
    this.idxFile = storePaths(prefix).idx;
    this.manifest = manifest;
    this.dtype = idx.dtype;
    this.vocabSize = manifest.tokenizer.vocabSize;
    this.specials = manifest.specialTokens;
    this.wordStarts = wordStarts;
    this.numDocuments = idx.numDocuments;
    this.numSentences = idx.numSentences;
    this.numTokens = idx.numTokens;
    this.documentIndex = idx.documentIndex;
    this.documentTokenStarts = idx.documentTokenStarts;
  }

  readSentenceLengths(first: number, count: number, out?: Int32Array): Int32Array {
    checkSentenceRange(this, first, count, out);
    const target = out ? out.subarray(0, count) : new Int32Array(count);
    if (this.idxFd < 0) throw new MaskpackError('ERR_CLOSED', `store ${this.prefix} is closed`);
    try {
      readFully(this.idxFd, new Uint8Array(target.buffer, target.byteOffset, 4 * count), IDX_HEADER_BYTES + 4 * first);
    } catch (err) {
      throw io(this.idxFile, err);
    }
    return target;
  }

  source(): TokenSource {
    return { kind: 'file', path: this.binFile, tokenOffset: 0, numTokens: this.numTokens, elemSize: DTYPE_BYTES[this.dtype] };
  }

  readTokens(start: number, count: number, out: Int32Array, outOffset = 0): void {
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > this.numTokens) {
      throw new RangeError(`tokens [${start}, ${start} + ${count}) must lie within [0, ${this.numTokens})`);
    }
    if (!Number.isInteger(outOffset) || outOffset < 0 || outOffset + count > out.length) {
      throw new RangeError(`outOffset ${outOffset} + count ${count} must fit in out (length ${out.length})`);
    }
    const fd = this.open();
    const width = DTYPE_BYTES[this.dtype];
    try {
      if (this.dtype === 'int32') {
        readFully(fd, new Uint8Array(out.buffer, out.byteOffset + outOffset * 4, count * 4), start * 4);
        return;
      }
      if (this.scratch.length < count * width) this.scratch = Buffer.allocUnsafeSlow(Math.max(count * width, this.scratch.length * 2));
      readFully(fd, this.scratch.subarray(0, count * width), start * width);
      const view = new Uint16Array(this.scratch.buffer, 0, count);
      for (let i = 0; i < count; i++) out[outOffset + i] = view[i];
    } catch (err) {
      throw io(this.binFile, err);
    }
  }

  readBytes(position: number, target: Uint8Array): void {
    const size = this.numTokens * DTYPE_BYTES[this.dtype];
    if (!Number.isInteger(position) || position < 0 || position + target.length > size) {
      throw new RangeError(`bytes [${position}, ${position} + ${target.length}) must lie within ${this.binFile} (${size} bytes)`);
    }
    const fd = this.open();
    try {
      readFully(fd, target, position);
    } catch (err) {
      throw io(this.binFile, err);
    }
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    if (this.idxFd >= 0) fs.closeSync(this.idxFd);
    this.fd = -1;
    this.idxFd = -1;
  }

  private open(): number {
    if (this.fd < 0) throw new MaskpackError('ERR_CLOSED', `store ${this.prefix} is closed`);
    return this.fd;
  }
}

/**
 * Open and validate the store at `prefix` (`<prefix>.bin`, `.idx`, `.json`). Throws a
 * `MaskpackError`: `ERR_STORE_IO` when a file cannot be read, `ERR_STORE_CORRUPT` naming the
 * file and field when one is malformed. The caller owns the returned store and must `close()` it.
 */
export function openStore(prefix: string, options: OpenStoreOptions = {}): OpenedStore {
  if (typeof prefix !== 'string' || prefix === '') throw new TypeError(`prefix must be a non-empty string, got ${JSON.stringify(prefix)}`);
  for (const k of ['verifyIds', 'verifyChecksums'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new TypeError(`options.${k} must be a boolean, got ${JSON.stringify(options[k])}`);
  }
  const p = storePaths(prefix);
  // Every file is opened without blocking (a FIFO would wait for a writer for ever) and must be a
  // regular file (a device such as /dev/zero has no end); every read is bounded by its size.
  const jsonFd = openRegular(p.json);
  let manifest: StoreManifest;
  try {
    manifest = parseManifest(p.json, readManifestText(p.json, jsonFd));
  } finally {
    fs.closeSync(jsonFd);
  }
  const idxFd = openRegular(p.idx);
  let fd: number;
  try {
    fd = openRegular(p.bin);
  } catch (err) {
    fs.closeSync(idxFd);
    throw err;
  }
  let file = p.idx;
  try {
    const idxSize = fs.fstatSync(idxFd).size;
    file = p.bin;
    const binSize = fs.fstatSync(fd).size;
    file = p.idx;
    const idx = parseIdx(p.idx, (position, target) => readFully(idxFd, target, position), idxSize, p.bin, binSize);
    file = p.json;
    const wordStarts = checkManifest(p.json, manifest, idx);
    if (options.verifyChecksums) {
      for (const k of ['idx', 'bin'] as const) {
        file = p[k];
        const got = hashFile(p[k]);
        if (got !== manifest.sha256[k]) throw corrupt(p[k], 'sha256', `is ${got}, but ${p.json} records ${manifest.sha256[k]}`);
      }
    }
    file = p.bin;
    if (options.verifyIds !== false) scanIds(p.bin, fd, idx.dtype, idx.numTokens, manifest.tokenizer.vocabSize);
    return new FileTokenStore(prefix, fd, idxFd, manifest, idx, wordStarts);
  } catch (err) {
    fs.closeSync(fd);
    fs.closeSync(idxFd);
    if (err instanceof MaskpackError) throw err;
    throw io(file, err);
  }
}

/**
 * The on-disk cache of sample indexes, beside the store: `<prefix>.<format>-<key16>.idx.bin`.
 *
 * The key is sha256 of the build inputs (format, seqLen, template, and seed/epoch for the pair
 * formats) and the store fingerprint (sha256 of the counts, every sentence length and the
 * document index), so a changed store or option never hits a stale file.
 *
 * File layout (little-endian):
 * ```
 *  offset  size  field
 *  0       8     magic "MPSIDX\0\2" (version 2: single indexes hold tokenStart [n + 1] and rowLength)
 *  8       32    key (sha256 of the inputs)
 *  40      32    sha256 of the payload
 *  72      8     numSamples (float64)
 *  80      4     kind: 1 single, 2 pair (uint32)
 *  84      4     reserved, 0
 *  88      ...   payload: the index arrays in a fixed order, each padded to 8 bytes
 * ```
 * Files are written to a temporary name (`<file>.<pid>.<n>.tmp`) and renamed into place (atomic
 * on POSIX); the next write of the same file removes the temporaries of writers that were killed
 * (their process is gone), never those of a live one. On read,
 * every header field, the exact size and the payload hash are checked, and a file that fails
 * any check is ignored (and rebuilt). Caching is best effort: a failed write loses nothing.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, dirname } from 'node:path';
import { removeStaleTemporaries } from '../stale.js';
import { forEachSentenceChunk } from '../store/layout.js';
import type { StoreLayout } from '../store/types.js';
import { sharedArray } from './shared.js';
import type { SampleIndex, SampleIndexParams } from './types.js';

const MAGIC = Buffer.from('MPSIDX\0\x02', 'latin1');
const HEADER = 88;
const fingerprints = new WeakMap<StoreLayout, string>();
let tempCounter = 0;

type Arr = Float64Array | Int32Array | Uint8Array;

/**
 * sha256 (hex) of the store's shape (counts, every sentence length, the document index), in one
 * streaming pass over the sentence lengths; memoised per layout object.
 */
export function storeFingerprint(layout: StoreLayout): string {
  let fp = fingerprints.get(layout);
  if (fp === undefined) {
    const h = createHash('sha256');
    h.update(`maskpack-layout-v1:${layout.numDocuments}:${layout.numSentences}:${layout.numTokens}:`);
    forEachSentenceChunk(layout, (lengths) => h.update(new Uint8Array(lengths.buffer, lengths.byteOffset, lengths.byteLength)));
    h.update(new Uint8Array(layout.documentIndex.buffer, layout.documentIndex.byteOffset, layout.documentIndex.byteLength));
    fp = h.digest('hex');
    fingerprints.set(layout, fp);
  }
  return fp;
}

/** The cache key (sha256 hex) of one build. */
export function cacheKey(layout: StoreLayout, params: SampleIndexParams, perEpoch: boolean): string {
  const inputs = {
    // 3 for the pair formats since their NSP labels became fair coins (issue 13): their v2 files are stale.
    v: perEpoch ? 3 : 2,
    format: params.format,
    seqLen: params.seqLen,
    template: params.template,
    seed: perEpoch ? params.seed : null,
    epoch: perEpoch ? params.epoch : null,
    store: storeFingerprint(layout),
  };
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex');
}

export function cachePath(prefix: string, format: string, key: string): string {
  return `${prefix}.${format}-${key.slice(0, 16)}.idx.bin`;
}

function arraysOf(index: SampleIndex): Arr[] {
  return index.kind === 'single'
    ? [index.tokenStart, index.rowLength]
    : [index.aStart, index.bStart, index.aLength, index.bLength, index.document, index.partnerDocument, index.rowLength, index.flags];
}

/** Element counts per sample and widths of the arrays of each kind, in file order (`+1`: one extra element). */
const LAYOUT = {
  single: [[8, 1], [4, 0]],
  pair: [[8, 0], [8, 0], [4, 0], [4, 0], [4, 0], [4, 0], [4, 0], [1, 0]],
} as const;

const pad8 = (n: number): number => (n + 7) & ~7;
const ZEROS = new Uint8Array(8);

function bytesOf(a: Arr): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function writeAll(fd: number, b: Uint8Array, position: number): void {
  for (let done = 0; done < b.length;) done += writeSync(fd, b, done, b.length - done, position + done);
}

function readAll(fd: number, b: Uint8Array, position: number): boolean {
  for (let done = 0; done < b.length;) {
    const n = readSync(fd, b, done, Math.min(b.length - done, 1 << 30), position + done);
    if (n === 0) return false;
    done += n;
  }
  return true;
}

/** Write `index` atomically to `path`, streaming its arrays (best effort; returns whether it was written). */
export function writeCachedIndex(path: string, key: string, index: SampleIndex): boolean {
  if (endianness() !== 'LE') return false;
  const tmp = `${path}.${process.pid}.${tempCounter++}.tmp`;
  let fd = -1;
  try {
    const base = basename(path);
    removeStaleTemporaries(dirname(path), (name) => {
      if (!name.startsWith(`${base}.`) || !name.endsWith('.tmp')) return undefined;
      const m = /^(\d+)\.\d+\.tmp$/.exec(name.slice(base.length + 1));
      return m ? Number(m[1]) : undefined;
    });
    fd = openSync(tmp, 'w');
    const payload = createHash('sha256');
    let off = HEADER;
    for (const a of arraysOf(index)) {
      const b = bytesOf(a);
      payload.update(b);
      writeAll(fd, b, off);
      const padding = ZEROS.subarray(0, pad8(b.length) - b.length);
      payload.update(padding);
      writeAll(fd, padding, off + b.length);
      off += pad8(b.length);
    }
    const header = Buffer.alloc(HEADER);
    MAGIC.copy(header, 0);
    Buffer.from(key, 'hex').copy(header, 8);
    payload.digest().copy(header, 40);
    header.writeDoubleLE(index.numSamples, 72);
    header.writeUInt32LE(index.kind === 'single' ? 1 : 2, 80);
    writeAll(fd, header, 0);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
    return true;
  } catch {
    try {
      if (fd >= 0) closeSync(fd);
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    return false;
  }
}

/**
 * Read and validate a cached index straight into arrays over shared memory (each byte is read
 * once; the payload hash is checked as it streams by); `undefined` when absent or invalid.
 */
export function readCachedIndex(path: string, key: string, params: SampleIndexParams, pair: boolean): SampleIndex | undefined {
  if (endianness() !== 'LE') return undefined;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const header = Buffer.alloc(HEADER);
    if (!readAll(fd, header, 0) || !header.subarray(0, 8).equals(MAGIC)) return undefined;
    if (header.subarray(8, 40).toString('hex') !== key) return undefined;
    const n = header.readDoubleLE(72);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff || header.readUInt32LE(80) !== (pair ? 2 : 1)) return undefined;
    const layout = pair ? LAYOUT.pair : LAYOUT.single;
    let expected = HEADER;
    for (const [w, extra] of layout) expected += pad8((n + extra) * w);
    if (fstatSync(fd).size !== expected) return undefined;
    const payload = createHash('sha256');
    let off = HEADER;
    const take = <T extends Arr>(ctor: { new (b: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number }, count: number): T | undefined => {
      const out = sharedArray(ctor, count);
      const b = bytesOf(out);
      if (!readAll(fd, b, off)) return undefined;
      const padding = Buffer.alloc(pad8(b.length) - b.length);
      if (!readAll(fd, padding, off + b.length)) return undefined;
      payload.update(b);
      payload.update(padding);
      off += pad8(b.length);
      return out;
    };
    const base = { format: params.format, seqLen: params.seqLen, template: params.template, numSamples: n };
    if (!pair) {
      const tokenStart = take(Float64Array, n + 1);
      const rowLength = take(Int32Array, n);
      if (!tokenStart || !rowLength || !payload.digest().equals(header.subarray(40, 72))) return undefined;
      return { kind: 'single', ...base, tokenStart, rowLength };
    }
    const aStart = take(Float64Array, n);
    const bStart = take(Float64Array, n);
    const aLength = take(Int32Array, n);
    const bLength = take(Int32Array, n);
    const document = take(Int32Array, n);
    const partnerDocument = take(Int32Array, n);
    const rowLength = take(Int32Array, n);
    const flags = take(Uint8Array, n);
    if (!aStart || !bStart || !aLength || !bLength || !document || !partnerDocument || !rowLength || !flags) return undefined;
    if (!payload.digest().equals(header.subarray(40, 72))) return undefined;
    return {
      kind: 'pair', ...base, seed: params.seed, epoch: params.epoch,
      aStart, bStart, aLength, bLength, document, partnerDocument, rowLength, flags,
    };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * The on-disk cache of sample indexes, beside the store: `<prefix>.<format>-<key16>.idx.bin`.
 *
 * The key is sha256 of the build inputs (format, seqLen, template, and seed/epoch for the pair
 * formats) and the store fingerprint (sha256 of numTokens, `sentenceLengths` and
 * `documentIndex`), so a changed store or option never hits a stale file.
 *
 * File layout (little-endian):
 * ```
 *  offset  size  field
 *  0       8     magic "MPSIDX\0\1"
 *  8       32    key (sha256 of the inputs)
 *  40      32    sha256 of the payload
 *  72      8     numSamples (float64)
 *  80      4     kind: 1 single, 2 pair (uint32)
 *  84      4     reserved, 0
 *  88      ...   payload: the index arrays in a fixed order, each padded to 8 bytes
 * ```
 * Files are written to a temporary name and renamed into place (atomic on POSIX); on read,
 * every header field, the exact size and the payload hash are checked, and a file that fails
 * any check is ignored (and rebuilt). Caching is best effort: a failed write loses nothing.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import type { StoreLayout } from '../store/types.js';
import type { SampleIndex, SampleIndexParams } from './types.js';

const MAGIC = Buffer.from('MPSIDX\0\x01', 'latin1');
const HEADER = 88;
const fingerprints = new WeakMap<StoreLayout, string>();
let tempCounter = 0;

type Arr = Float64Array | Int32Array | Uint8Array;

/** sha256 (hex) of the store's shape; memoised per layout object. */
export function storeFingerprint(layout: StoreLayout): string {
  let fp = fingerprints.get(layout);
  if (fp === undefined) {
    const h = createHash('sha256');
    h.update(`maskpack-layout-v1:${layout.numDocuments}:${layout.numSentences}:${layout.numTokens}:`);
    h.update(new Uint8Array(layout.sentenceLengths.buffer, layout.sentenceLengths.byteOffset, layout.sentenceLengths.byteLength));
    h.update(new Uint8Array(layout.documentIndex.buffer, layout.documentIndex.byteOffset, layout.documentIndex.byteLength));
    fp = h.digest('hex');
    fingerprints.set(layout, fp);
  }
  return fp;
}

/** The cache key (sha256 hex) of one build. */
export function cacheKey(layout: StoreLayout, params: SampleIndexParams, perEpoch: boolean): string {
  const inputs = {
    v: 1,
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
    ? [index.tokenStart, index.tokenCount, index.rowLength, index.document]
    : [index.aStart, index.bStart, index.aLength, index.bLength, index.document, index.partnerDocument, index.rowLength, index.flags];
}

const pad8 = (n: number): number => (n + 7) & ~7;

/** Write `index` atomically to `path` (best effort; returns whether it was written). */
export function writeCachedIndex(path: string, key: string, index: SampleIndex): boolean {
  if (endianness() !== 'LE') return false;
  const arrays = arraysOf(index);
  let size = HEADER;
  for (const a of arrays) size += pad8(a.byteLength);
  const file = Buffer.alloc(size);
  let off = HEADER;
  for (const a of arrays) {
    file.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    off += pad8(a.byteLength);
  }
  MAGIC.copy(file, 0);
  Buffer.from(key, 'hex').copy(file, 8);
  createHash('sha256').update(file.subarray(HEADER)).digest().copy(file, 40);
  file.writeDoubleLE(index.numSamples, 72);
  file.writeUInt32LE(index.kind === 'single' ? 1 : 2, 80);
  const tmp = `${path}.${process.pid}.${tempCounter++}.tmp`;
  try {
    writeFileSync(tmp, file);
    renameSync(tmp, path);
    return true;
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    return false;
  }
}

/** Read and validate a cached index; `undefined` when absent or invalid. */
export function readCachedIndex(path: string, key: string, params: SampleIndexParams, pair: boolean): SampleIndex | undefined {
  if (endianness() !== 'LE') return undefined;
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch {
    return undefined;
  }
  if (file.length < HEADER || !file.subarray(0, 8).equals(MAGIC)) return undefined;
  if (file.subarray(8, 40).toString('hex') !== key) return undefined;
  const n = file.readDoubleLE(72);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff || file.readUInt32LE(80) !== (pair ? 2 : 1)) return undefined;
  const widths = pair ? [8, 8, 4, 4, 4, 4, 4, 1] : [8, 4, 4, 4];
  let expected = HEADER;
  for (const w of widths) expected += pad8(n * w);
  if (file.length !== expected) return undefined;
  if (!createHash('sha256').update(file.subarray(HEADER)).digest().equals(file.subarray(40, 72))) return undefined;

  let off = HEADER;
  const take = <T extends Arr>(ctor: { new (n: number): T }, width: number): T => {
    const out = new ctor(n);
    new Uint8Array(out.buffer).set(file.subarray(off, off + n * width));
    off += pad8(n * width);
    return out;
  };
  const base = { format: params.format, seqLen: params.seqLen, template: params.template, numSamples: n };
  if (!pair) {
    const tokenStart = take(Float64Array, 8);
    const tokenCount = take(Int32Array, 4);
    const rowLength = take(Int32Array, 4);
    const document = take(Int32Array, 4);
    return { kind: 'single', ...base, tokenStart, tokenCount, rowLength, document };
  }
  const aStart = take(Float64Array, 8);
  const bStart = take(Float64Array, 8);
  const aLength = take(Int32Array, 4);
  const bLength = take(Int32Array, 4);
  const document = take(Int32Array, 4);
  const partnerDocument = take(Int32Array, 4);
  const rowLength = take(Int32Array, 4);
  const flags = take(Uint8Array, 1);
  return {
    kind: 'pair', ...base, seed: params.seed, epoch: params.epoch,
    aStart, bStart, aLength, bLength, document, partnerDocument, rowLength, flags,
  };
}

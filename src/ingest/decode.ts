/**
 * Bytes to text, in chunks, with invalid UTF-8 replaced and counted.
 *
 * Chunks are cut at UTF-8 character boundaries, so each decodes on its own. A chunk that is not
 * valid UTF-8 is decoded by WHATWG rules (each maximal invalid subsequence becomes one U+FFFD);
 * the replacements are counted as U+FFFD in the output minus U+FFFD already present in the
 * input bytes. A NUL byte in the first 8 KiB marks a binary file. A UTF-8 byte-order mark
 * (EF BB BF) at the start of an input is dropped and counted: it is an encoding signature, not
 * text (it would otherwise become three tokens, or break line 1 of a JSONL file).
 */
import { isUtf8 } from 'node:buffer';
import fs from 'node:fs';
import { MaskpackError } from '../errors.js';

const REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd]);
const BINARY_PROBE = 8192;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Counters a decoder adds to. */
export interface DecodeStats {
  bytes: number;
  invalidUtf8: number;
  /** Inputs that began with a UTF-8 byte-order mark (dropped). */
  byteOrderMarks: number;
}

function countFFFD(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\uFFFD'); i >= 0; i = s.indexOf('\uFFFD', i + 1)) n++;
  return n;
}

function countRawFFFD(b: Uint8Array): number {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let n = 0;
  for (let i = buf.indexOf(REPLACEMENT); i >= 0; i = buf.indexOf(REPLACEMENT, i + 3)) n++;
  return n;
}

/** Decode bytes that end on a character boundary (or at end of input). */
function decodePart(part: Buffer, stats: DecodeStats): string {
  if (isUtf8(part)) return part.toString('utf8');
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(part);
  stats.invalidUtf8 += countFFFD(text) - countRawFFFD(part);
  return text;
}

/** Length of the prefix of `b` that ends on a UTF-8 character boundary. */
function boundary(b: Buffer): number {
  const n = b.length;
  for (let k = 1; k <= Math.min(4, n); k++) {
    const c = b[n - k];
    if ((c & 0xc0) === 0x80) continue;
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > k ? n - k : n;
  }
  return n;
}

/** An error for a binary input. */
export class BinaryInputError extends MaskpackError {
  constructor(name: string, offset: number) {
    super('ERR_BAD_INPUT', `${name}: looks like a binary file (NUL byte at offset ${offset}), not text`);
  }
}

/**
 * A file's bytes in chunks of `chunkBytes`, read synchronously: cheaper than a stream per file
 * (~0.7 ms each), and blocking the main thread costs nothing while workers tokenize.
 */
export function* readFileChunks(file: string, chunkBytes = 1 << 16): Generator<Buffer> {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    for (let pos = 0; ;) {
      const want = Math.max(1, Math.min(chunkBytes, size - pos));
      const buf = Buffer.allocUnsafe(want);
      const n = fs.readSync(fd, buf, 0, want, pos);
      if (n === 0) return;
      pos += n;
      yield buf.subarray(0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The text of a byte source (a stream or chunks), chunk by chunk, without a leading byte-order
 * mark. Throws {@link BinaryInputError} when the first 8 KiB hold a NUL byte.
 */
export async function* decodeStream(source: AsyncIterable<Buffer> | Iterable<Buffer>, name: string, stats: DecodeStats): AsyncGenerator<string> {
  let carry: Buffer = Buffer.alloc(0);
  let probed = 0;
  /** Whether the first bytes are still to be checked for a byte-order mark (a stream may deliver them one at a time). */
  let head = true;
  for await (const chunk of source) {
    if (probed < BINARY_PROBE) {
      const nul = chunk.subarray(0, BINARY_PROBE - probed).indexOf(0);
      if (nul >= 0) throw new BinaryInputError(name, probed + nul);
      probed += chunk.length;
    }
    stats.bytes += chunk.length;
    let data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    if (head) {
      if (data.length < BOM.length && BOM.subarray(0, data.length).equals(data)) {
        carry = Buffer.from(data);
        continue;
      }
      head = false;
      if (data[0] === BOM[0] && data[1] === BOM[1] && data[2] === BOM[2]) {
        stats.byteOrderMarks++;
        data = data.subarray(BOM.length);
      }
    }
    const cut = boundary(data);
    carry = Buffer.from(data.subarray(cut));
    if (cut > 0) yield decodePart(data.subarray(0, cut), stats);
  }
  if (carry.length) yield decodePart(carry, stats);
}

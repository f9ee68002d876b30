/**
 * numpy `.npy` files (format version 1.0) of little-endian int32 or int64 arrays in C order,
 * loadable by `numpy.load` and, through it, PyTorch (int64 is `torch.long`, what
 * `CrossEntropyLoss` wants for labels). The values always come as an Int32Array; int64 files
 * hold them sign-extended.
 *
 * ```
 *  "\x93NUMPY" 0x01 0x00 | header length (uint16 LE) | header text ... spaces "\n" | data
 *  └────────────── 10 bytes ─────────────────────────┘ (the total is a multiple of 64)
 * ```
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00];

/** Element type of a written file. */
export type NpyDtype = 'int32' | 'int64';

const DESCR: Record<NpyDtype, string> = { int32: '<i4', int64: '<i8' };

function checkDtype(dtype: unknown): NpyDtype {
  if (dtype !== 'int32' && dtype !== 'int64') throw new RangeError(`dtype must be 'int32' or 'int64', got ${JSON.stringify(dtype)}`);
  return dtype;
}

/** The little-endian bytes of `array` as `dtype` (a view of it for int32 on little-endian hosts, else a fresh buffer). */
function dataBytes(array: Int32Array, dtype: NpyDtype): Uint8Array {
  const le = endianness() === 'LE';
  if (dtype === 'int32' && le) return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const size = dtype === 'int32' ? 4 : 8;
  const out = new Uint8Array(array.length * size);
  if (le) {
    const words = new Int32Array(out.buffer);
    for (let i = 0; i < array.length; i++) {
      words[2 * i] = array[i];
      words[2 * i + 1] = array[i] >> 31;
    }
    return out;
  }
  const view = new DataView(out.buffer);
  for (let i = 0; i < array.length; i++) {
    if (size === 4) view.setInt32(4 * i, array[i], true);
    else view.setBigInt64(8 * i, BigInt(array[i]), true);
  }
  return out;
}

function checkShape(array: Int32Array, shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== array.length) throw new RangeError(`shape ${JSON.stringify(shape)} holds ${size} elements, the array has ${array.length}`);
}

/** The header dict, e.g. `{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }`. */
function headerText(shape: readonly number[], dtype: NpyDtype): string {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  return `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${dims}, }`;
}

/**
 * Encode `array` with `shape` as a `.npy` file of `dtype` (default int32) in a fresh buffer.
 * @throws RangeError when `shape` does not match the array's length, or for an unknown dtype.
 */
export function encodeNpy(array: Int32Array, shape: readonly number[], dtype: NpyDtype = 'int32'): Uint8Array {
  checkShape(array, shape);
  const data = dataBytes(array, checkDtype(dtype));
  const text = headerText(shape, dtype);
  const unpadded = MAGIC.length + 2 + text.length + 1;
  const headerLength = Math.ceil(unpadded / 64) * 64 - MAGIC.length - 2;
  const out = new Uint8Array(MAGIC.length + 2 + headerLength + data.byteLength);
  out.set(MAGIC, 0);
  out[8] = headerLength & 0xff;
  out[9] = headerLength >>> 8;
  const header = text.padEnd(headerLength - 1, ' ') + '\n';
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(data, 10 + headerLength);
  return out;
}

/**
 * Write `array` with `shape` to `path` as `.npy` of `dtype` (default int32). Rejects on a bad
 * shape, an unknown dtype or an I/O error.
 */
export async function writeNpy(path: string, array: Int32Array, shape: readonly number[], dtype: NpyDtype = 'int32'): Promise<void> {
  await writeFile(path, encodeNpy(array, shape, dtype));
}

/** Header bytes of a streamed file: room for any shape, rewritten when the row count is known. */
const STREAM_HEADER = 128;

/**
 * Streams a `.npy` of `dtype` (default int32) and shape `(rows, ...rowShape)` whose row count is
 * known only at the end: rows are appended under a temporary name, then the header is rewritten
 * (its length is fixed) and the file renamed into place by {@link NpyWriter.finish}, so an
 * interrupted export leaves no file that looks complete.
 */
export class NpyWriter {
  readonly path: string;
  private readonly tmp: string;
  private readonly fd: number;
  private readonly rowShape: readonly number[];
  private readonly rowSize: number;
  readonly dtype: NpyDtype;
  private rows = 0;
  private position = STREAM_HEADER;

  constructor(path: string, rowShape: readonly number[], dtype: NpyDtype = 'int32') {
    this.path = path;
    this.tmp = `${path}.tmp-${process.pid}`;
    this.rowShape = rowShape;
    this.rowSize = rowShape.reduce((a, b) => a * b, 1);
    this.dtype = checkDtype(dtype);
    this.fd = openSync(this.tmp, 'w');
  }

  /** Appends whole rows (int32 on little-endian hosts writes the bytes as they are). */
  append(array: Int32Array): void {
    if (array.length % this.rowSize !== 0) throw new RangeError(`${this.path}: ${array.length} values are not whole rows of ${this.rowSize}`);
    const bytes = dataBytes(array, this.dtype);
    writeSync(this.fd, bytes, 0, bytes.length, this.position);
    this.position += bytes.length;
    this.rows += array.length / this.rowSize;
  }

  /** Writes the header with the final shape and renames the file into place; returns the row count. */
  finish(): number {
    const text = headerText([this.rows, ...this.rowShape], this.dtype);
    const header = new Uint8Array(STREAM_HEADER);
    header.set(MAGIC, 0);
    const headerLength = STREAM_HEADER - MAGIC.length - 2;
    header[8] = headerLength & 0xff;
    header[9] = headerLength >>> 8;
    const padded = text.padEnd(headerLength - 1, ' ') + '\n';
    for (let i = 0; i < padded.length; i++) header[10 + i] = padded.charCodeAt(i);
    writeSync(this.fd, header, 0, header.length, 0);
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
    return this.rows;
  }

  /** Closes and removes the temporary file. */
  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed by finish()
    }
    rmSync(this.tmp, { force: true });
  }
}

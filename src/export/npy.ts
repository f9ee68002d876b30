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
 * The header code ({@link npyHeader}) is the one the stream's records use too
 * (`src/stream/npy-record.ts`). {@link NpyWriter} also streams float32 (the sparse labels'
 * `masked_weights`).
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00];

/** Element type of a written file. */
export type NpyDtype = 'int32' | 'int64';

/** What an {@link NpyWriter} writes: the integer types, or float32 (from a Float32Array). */
export type NpyWriterDtype = NpyDtype | 'float32';

const DESCR: Record<NpyWriterDtype, string> = { int32: '<i4', int64: '<i8', float32: '<f4' };

function checkDtype(dtype: unknown): NpyDtype {
  if (dtype !== 'int32' && dtype !== 'int64') throw new RangeError(`dtype must be 'int32' or 'int64', got ${JSON.stringify(dtype)}`);
  return dtype;
}

/**
 * The header of a `.npy` record of type `type` (a NumPy type string such as `<i4`) and `shape`:
 * magic, version 1.0, length, the header dict padded with spaces and a newline so that the data
 * starts at `total` bytes (default: the next multiple of 64, as NumPy writes it).
 * @throws RangeError for a shape that is not a list of non-negative integers, or a header that does not fit `total`.
 */
export function npyHeader(type: string, shape: readonly number[], total?: number): Uint8Array {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new RangeError(`shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const text = `{'descr': '${type}', 'fortran_order': False, 'shape': ${dims}, }`;
  const size = total ?? Math.ceil((MAGIC.length + 2 + text.length + 1) / 64) * 64;
  if (MAGIC.length + 2 + text.length + 1 > size) throw new RangeError(`a .npy header of shape ${dims} does not fit in ${size} bytes`);
  const out = new Uint8Array(size);
  out.set(MAGIC, 0);
  const length = size - MAGIC.length - 2;
  out[8] = length & 0xff;
  out[9] = length >>> 8;
  const padded = text.padEnd(length - 1, ' ') + '\n';
  for (let i = 0; i < padded.length; i++) out[10 + i] = padded.charCodeAt(i);
  return out;
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

/** The little-endian bytes of float32 `array` (a view on little-endian hosts). */
function floatBytes(array: Float32Array): Uint8Array {
  if (endianness() === 'LE') return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const out = new Uint8Array(array.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < array.length; i++) view.setFloat32(4 * i, array[i], true);
  return out;
}

function checkShape(array: Int32Array, shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== array.length) throw new RangeError(`shape ${JSON.stringify(shape)} holds ${size} elements, the array has ${array.length}`);
}

/**
 * Encode `array` with `shape` as a `.npy` file of `dtype` (default int32) in a fresh buffer.
 * @throws RangeError when `shape` does not match the array's length, or for an unknown dtype.
 */
export function encodeNpy(array: Int32Array, shape: readonly number[], dtype: NpyDtype = 'int32'): Uint8Array {
  checkShape(array, shape);
  const data = dataBytes(array, checkDtype(dtype));
  const header = npyHeader(DESCR[dtype], shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  out.set(data, header.length);
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
 * Streams a `.npy` of `dtype` (default int32; `float32` takes Float32Arrays) and shape
 * `(rows, ...rowShape)` whose row count is known only at the end: rows are appended under a
 * temporary name, then the header is rewritten (its length is fixed) and the file renamed into
 * place by {@link NpyWriter.finish}, so an interrupted export leaves no file that looks complete.
 */
export class NpyWriter {
  readonly path: string;
  private readonly tmp: string;
  private readonly fd: number;
  private readonly rowShape: readonly number[];
  private readonly rowSize: number;
  readonly dtype: NpyWriterDtype;
  private rows = 0;
  private position = STREAM_HEADER;

  constructor(path: string, rowShape: readonly number[], dtype: NpyWriterDtype = 'int32') {
    this.path = path;
    this.tmp = `${path}.tmp-${process.pid}`;
    this.rowShape = rowShape;
    this.rowSize = rowShape.reduce((a, b) => a * b, 1);
    this.dtype = dtype === 'float32' ? dtype : checkDtype(dtype);
    this.fd = openSync(this.tmp, 'w');
  }

  /**
   * Appends whole rows (int32 on little-endian hosts writes the bytes as they are): an
   * Int32Array for the integer types, a Float32Array for float32.
   */
  append(array: Int32Array | Float32Array): void {
    if (array.length % this.rowSize !== 0) throw new RangeError(`${this.path}: ${array.length} values are not whole rows of ${this.rowSize}`);
    if ((array instanceof Float32Array) !== (this.dtype === 'float32')) throw new TypeError(`${this.path}: a ${this.dtype} file takes ${this.dtype === 'float32' ? 'a Float32Array' : 'an Int32Array'}`);
    const bytes = array instanceof Float32Array ? floatBytes(array) : dataBytes(array, this.dtype as NpyDtype);
    writeSync(this.fd, bytes, 0, bytes.length, this.position);
    this.position += bytes.length;
    this.rows += array.length / this.rowSize;
  }

  /** Writes the header with the final shape and renames the file into place; returns the row count. */
  finish(): number {
    const header = npyHeader(DESCR[this.dtype], [this.rows, ...this.rowShape], STREAM_HEADER);
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

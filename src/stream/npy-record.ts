/**
 * One array as a `.npy` record (NumPy format version 1.0, C order, little-endian) for a byte
 * stream: a header in a small fresh buffer and the data, on little-endian hosts a view of the
 * array's own memory (nothing is copied), so records can be written with one `writev`.
 *
 * ```
 *  "\x93NUMPY" 0x01 0x00 | header length (uint16 LE) | {'descr': …, 'fortran_order': False, 'shape': (…), } spaces "\n" | data
 *  └──────────────────────────── a multiple of 64 bytes, as NumPy writes it ──────────────────────────────────┘
 * ```
 *
 * Any typed array of the batch is encoded with its own element type (`<i4`, `|u1`, `<i8`, …).
 * The header is `export`'s {@link npyHeader} (one implementation for files and records).
 */
import { endianness } from 'node:os';
import type { BatchArray } from '../batch-arrays.js';
import { npyHeader } from '../export/npy.js';

export { npyHeader } from '../export/npy.js';

/** The NumPy type string of each typed array's elements. */
function descr(array: BatchArray): string {
  if (array instanceof Int32Array) return '<i4';
  if (array instanceof Uint8Array) return '|u1';
  if (array instanceof Int8Array) return '|i1';
  if (array instanceof Int16Array) return '<i2';
  if (array instanceof Uint16Array) return '<u2';
  if (array instanceof Uint32Array) return '<u4';
  if (array instanceof Float32Array) return '<f4';
  if (array instanceof Float64Array) return '<f8';
  if (array instanceof BigInt64Array) return '<i8';
  if (array instanceof BigUint64Array) return '<u8';
  throw new TypeError(`cannot encode ${Object.prototype.toString.call(array)} as .npy`);
}

/** The little-endian bytes of `array`: a view on little-endian hosts, a byte-swapped copy otherwise. */
function littleEndianBytes(array: BatchArray): Uint8Array {
  const view = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const size = array.BYTES_PER_ELEMENT;
  if (endianness() === 'LE' || size === 1) return view;
  const out = new Uint8Array(view.length);
  for (let i = 0; i < view.length; i += size) for (let k = 0; k < size; k++) out[i + k] = view[i + size - 1 - k];
  return out;
}

/** `array` sign-extended to int64, as little-endian bytes in a fresh buffer. */
function int64Bytes(array: Int32Array): Uint8Array {
  const out = new Uint8Array(array.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < array.length; i++) {
    view.setInt32(8 * i, array[i], true);
    view.setInt32(8 * i + 4, array[i] >> 31, true);
  }
  return out;
}

/**
 * The `.npy` record of `array` with `shape`: `[header, data]`. `int64` widens an Int32Array to
 * `<i8` (a copy); other arrays keep their type. On little-endian hosts the data of an array that
 * keeps its type is a view of the array's buffer: it must not be reused until written out.
 * @throws RangeError when `shape` does not hold `array.length` elements.
 */
export function npyRecord(array: BatchArray, shape: readonly number[], int64 = false): [Uint8Array, Uint8Array] {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== array.length) throw new RangeError(`shape ${JSON.stringify(shape)} holds ${size} elements, the array has ${array.length}`);
  if (int64 && array instanceof Int32Array) return [npyHeader('<i8', shape), int64Bytes(array)];
  return [npyHeader(descr(array), shape), littleEndianBytes(array)];
}

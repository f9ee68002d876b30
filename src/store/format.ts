/**
 * The Megatron-LM "MMIDIDX" v1 index layout, shared by the writer and the reader.
 *
 * ```
 *  <prefix>.idx (little-endian, no padding)
 *  offset  size        field
 *  0       9           magic            "MMIDIDX\x00\x00"
 *  9       8   u64     version          1
 *  17      1   u8      dtype code       8 = uint16, 4 = int32
 *  18      8   u64     sequence count   S (one sequence = one sentence)
 *  26      8   u64     document count   D + 1 = entries of the document index (Megatron's convention)
 *  34      4*S i32     sequence lengths (tokens)
 *  ..      8*S i64     sequence pointers (byte offsets into .bin)
 *  ..      8*(D+1) i64 document index (first sequence of each document; starts at 0, ends at S)
 *
 *  <prefix>.bin  the token ids of every sequence, back to back, in the dtype above.
 * ```
 */

/** The 9-byte magic at the start of every `.idx`. */
export const IDX_MAGIC = Buffer.from([0x4d, 0x4d, 0x49, 0x44, 0x49, 0x44, 0x58, 0x00, 0x00]);
/** The only index version this library writes and reads. */
export const IDX_VERSION = 1;
/** Bytes before the sequence-length array. */
export const IDX_HEADER_BYTES = 34;
/** Megatron's dtype codes for the element types a store may use. */
export const DTYPE_CODES = { uint16: 8, int32: 4 } as const;
/** Bytes per token of each dtype. */
export const DTYPE_BYTES = { uint16: 2, int32: 4 } as const;

export type StoreDtype = keyof typeof DTYPE_CODES;

/** The smallest dtype that holds every id of a vocabulary: uint16 when it has at most 65536 ids. */
export function dtypeForVocab(vocabSize: number): StoreDtype {
  return vocabSize <= 65536 ? 'uint16' : 'int32';
}

/** Total size in bytes of an `.idx` with `S` sequences and `D` documents. */
export function idxByteLength(numSentences: number, numDocuments: number): number {
  return IDX_HEADER_BYTES + 12 * numSentences + 8 * (numDocuments + 1);
}

/** Encode the 34-byte header. */
export function encodeIdxHeader(dtype: StoreDtype, numSentences: number, numDocuments: number): Buffer {
  const b = Buffer.alloc(IDX_HEADER_BYTES);
  IDX_MAGIC.copy(b, 0);
  b.writeBigUInt64LE(BigInt(IDX_VERSION), 9);
  b.writeUInt8(DTYPE_CODES[dtype], 17);
  b.writeBigUInt64LE(BigInt(numSentences), 18);
  b.writeBigUInt64LE(BigInt(numDocuments + 1), 26);
  return b;
}

/** The three store file names of a prefix. */
export function storePaths(prefix: string): { bin: string; idx: string; json: string } {
  return { bin: `${prefix}.bin`, idx: `${prefix}.idx`, json: `${prefix}.json` };
}

/**
 * `values` as little-endian int64 (each an integer in [0, 2^53)) in a new buffer; with `scale`
 * and `start`, the running sums instead: `start`, `start + values[0] * scale`, … (sequence
 * pointers from lengths). Returns the bytes and the sum after the last value.
 */
export function int64s(values: ArrayLike<number>, running?: { scale: number; start: number }): { bytes: Buffer; end: number } {
  const words = new Uint32Array(2 * values.length);
  let v = running ? running.start : 0;
  for (let i = 0; i < values.length; i++) {
    const x = running ? v : values[i];
    const hi = Math.floor(x / 4294967296);
    words[2 * i] = x - hi * 4294967296;
    words[2 * i + 1] = hi;
    if (running) v += values[i] * running.scale;
  }
  return { bytes: Buffer.from(words.buffer), end: v };
}

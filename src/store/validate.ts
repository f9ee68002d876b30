/**
 * Validation of a store's files before anything reads tokens from them. Every failure is a
 * `MaskpackError` `ERR_STORE_CORRUPT` whose message names the file, the field and the value.
 */
import { MaskpackError } from '../errors.js';
import {
  DTYPE_BYTES, DTYPE_CODES, IDX_HEADER_BYTES, IDX_MAGIC, IDX_VERSION, idxByteLength, type StoreDtype,
} from './format.js';
import { decodeBitset, MANIFEST_FORMAT, MANIFEST_VERSION, type StoreManifest } from './manifest.js';
import type { StoreLayout } from './types.js';

/** A `MaskpackError` `ERR_STORE_CORRUPT` for `file`, naming `field`. */
export function corrupt(file: string, field: string, detail: string): MaskpackError {
  return new MaskpackError('ERR_STORE_CORRUPT', `${file}: ${field} ${detail}`);
}

/** The parsed and validated `.idx`. */
export interface ParsedIdx extends StoreLayout {
  readonly dtype: StoreDtype;
}

const TWO32 = 4294967296;

/**
 * Parse and check an `.idx` image against the `.bin` size: magic, version, dtype, counts vs the
 * file size, lengths non-negative, pointers starting at 0 and advancing by exactly each length,
 * the `.bin` size, and the document index (0 first, non-decreasing, `S` last).
 */
export function parseIdx(file: string, b: Buffer, binFile: string, binSize: number): ParsedIdx {
  if (b.length < IDX_HEADER_BYTES) {
    throw corrupt(file, 'header', `is truncated: ${b.length} bytes, need at least ${IDX_HEADER_BYTES}`);
  }
  if (!b.subarray(0, 9).equals(IDX_MAGIC)) {
    throw corrupt(file, 'magic', `is ${JSON.stringify(b.subarray(0, 9).toString('latin1'))}, expected "MMIDIDX\\x00\\x00"`);
  }
  const version = b.readBigUInt64LE(9);
  if (version !== BigInt(IDX_VERSION)) throw corrupt(file, 'version', `is ${version}, expected ${IDX_VERSION}`);
  const code = b.readUInt8(17);
  const dtype = (Object.keys(DTYPE_CODES) as StoreDtype[]).find((k) => DTYPE_CODES[k] === code);
  if (!dtype) throw corrupt(file, 'dtype code', `is ${code}, expected 8 (uint16) or 4 (int32)`);
  const S64 = b.readBigUInt64LE(18);
  const D64 = b.readBigUInt64LE(26);
  if (S64 > 0x7fffffffn) throw corrupt(file, 'sequence count', `is ${S64}, larger than this reader supports (2^31 - 1)`);
  if (D64 < 1n || D64 > S64 + 1n) throw corrupt(file, 'document count', `is ${D64}, expected in [1, sequence count + 1 = ${S64 + 1n}]`);
  const S = Number(S64);
  const D = Number(D64) - 1;
  const expected = idxByteLength(S, D);
  if (b.length !== expected) {
    throw corrupt(file, 'file size', `is ${b.length} bytes, expected ${expected} for sequence count ${S} and document count ${D + 1}`);
  }
  let off = IDX_HEADER_BYTES;
  const sentenceLengths = new Int32Array(S);
  new Uint8Array(sentenceLengths.buffer).set(b.subarray(off, off + 4 * S));
  off += 4 * S;
  const width = DTYPE_BYTES[dtype];
  const sentenceStarts = new Float64Array(S + 1);
  const pointers = new Uint32Array(2 * S);
  new Uint8Array(pointers.buffer).set(b.subarray(off, off + 8 * S));
  let tokens = 0;
  for (let i = 0; i < S; i++) {
    const n = sentenceLengths[i];
    if (n < 0) throw corrupt(file, `sequence lengths[${i}]`, `is ${n}, must be non-negative`);
    const lo = pointers[2 * i];
    const hi = pointers[2 * i + 1];
    const ptr = hi * TWO32 + lo;
    if (hi >= 0x200000 || ptr !== tokens * width) {
      throw corrupt(file, `sequence pointers[${i}]`, `is ${b.readBigInt64LE(off + 8 * i)}, expected ${tokens * width} (sum of the preceding lengths × ${width} bytes)`);
    }
    sentenceStarts[i] = tokens;
    tokens += n;
  }
  sentenceStarts[S] = tokens;
  off += 8 * S;
  if (binSize !== tokens * width) {
    throw corrupt(binFile, 'file size', `is ${binSize} bytes, expected ${tokens * width} (${tokens} tokens of ${dtype} from the sequence lengths)`);
  }
  const documentIndex = new Int32Array(D + 1);
  let prev = 0;
  for (let i = 0; i <= D; i++) {
    const lo = b.readUInt32LE(off + 8 * i);
    const hi = b.readUInt32LE(off + 8 * i + 4);
    const v = hi * TWO32 + lo;
    const shown = b.readBigInt64LE(off + 8 * i);
    if (i === 0 && v !== 0) throw corrupt(file, 'document index[0]', `is ${shown}, expected 0`);
    if (hi !== 0 || v > S) throw corrupt(file, `document index[${i}]`, `is ${shown}, out of range [0, ${S}]`);
    if (v < prev) throw corrupt(file, `document index[${i}]`, `is ${v}, less than document index[${i - 1}] = ${prev}`);
    if (i === D && v !== S) throw corrupt(file, `document index[${D}]`, `is ${v}, expected the sequence count ${S}`);
    documentIndex[i] = v;
    prev = v;
  }
  return { dtype, numDocuments: D, numSentences: S, numTokens: tokens, sentenceLengths, sentenceStarts, documentIndex };
}

function isId(v: unknown, vocab: number): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) < vocab;
}

/** Check a parsed manifest against itself and the `.idx`; returns the decoded word-start table. */
export function checkManifest(file: string, m: StoreManifest, idx: ParsedIdx): Uint8Array | undefined {
  if (m?.format !== MANIFEST_FORMAT) throw corrupt(file, 'format', `is ${JSON.stringify(m?.format)}, expected "${MANIFEST_FORMAT}"`);
  if (m.formatVersion !== MANIFEST_VERSION) throw corrupt(file, 'formatVersion', `is ${JSON.stringify(m.formatVersion)}, expected ${MANIFEST_VERSION}`);
  const vocab = m.tokenizer?.vocabSize;
  if (!Number.isInteger(vocab) || vocab < 1) throw corrupt(file, 'tokenizer.vocabSize', `is ${JSON.stringify(vocab)}, expected a positive integer`);
  if (m.idx?.dtype !== idx.dtype) throw corrupt(file, 'idx.dtype', `is ${JSON.stringify(m.idx?.dtype)}, but the .idx says ${idx.dtype}`);
  if (idx.dtype === 'uint16' && vocab > 65536) throw corrupt(file, 'tokenizer.vocabSize', `is ${vocab}, too large for dtype uint16`);
  const c = m.counts ?? ({} as StoreManifest['counts']);
  const pairs: [string, unknown, number][] = [
    ['counts.documents', c.documents, idx.numDocuments],
    ['counts.sentences', c.sentences, idx.numSentences],
    ['counts.tokens', c.tokens, idx.numTokens],
  ];
  for (const [field, got, want] of pairs) if (got !== want) throw corrupt(file, field, `is ${JSON.stringify(got)}, but the .idx has ${want}`);
  const sp = m.specialTokens;
  for (const k of ['bos', 'eos', 'cls', 'sep', 'pad', 'unk', 'mask'] as const) {
    if (!isId(sp?.[k], vocab)) throw corrupt(file, `specialTokens.${k}`, `is ${JSON.stringify(sp?.[k])}, expected an id in [0, ${vocab})`);
  }
  if (!Array.isArray(sp.all) || !sp.all.every((v) => isId(v, vocab))) {
    throw corrupt(file, 'specialTokens.all', `is ${JSON.stringify(sp.all)}, expected an array of ids in [0, ${vocab})`);
  }
  for (const k of ['bin', 'idx'] as const) {
    if (typeof m.sha256?.[k] !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256[k])) {
      throw corrupt(file, `sha256.${k}`, `is ${JSON.stringify(m.sha256?.[k])}, expected 64 hex digits`);
    }
  }
  if (m.wordStarts == null) return undefined;
  const table = typeof m.wordStarts.bitset === 'string' ? decodeBitset(m.wordStarts.bitset, vocab) : undefined;
  if (!table) throw corrupt(file, 'wordStarts.bitset', `does not hold ${vocab} bits`);
  return table;
}

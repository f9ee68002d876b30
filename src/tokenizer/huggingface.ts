/**
 * A Hugging Face `tokenizer.json` loaded from disk with `@huggingface/tokenizers` (pure JS, no
 * network). Encoding follows the file (normalizer, pre-tokenizer, model, added tokens); no
 * post-processor template is applied, so no special tokens are added.
 *
 * A file whose BPE is exactly GPT-2's (roberta-base and its family; see `gpt2-compat.ts`) is
 * encoded with gpt-tokenizer and remapped to the file's ids instead: the same ids, ~20× faster
 * (`@huggingface/tokenizers` 0.2.0 runs at ~0.3 MB/s here).
 *
 * Special-token text in the corpus (`<mask>`, `</s>`, `[SEP]` …) is plain text by default on
 * both paths (`specialText: 'plain'`), so a document cannot put control ids into a store: the
 * general path encodes with a copy of the file whose special added tokens are not matched (the
 * Rust library's `encode_special_tokens`) and whose model cannot produce a special piece either
 * (their vocabulary entries renamed to strings no text contains; ids unchanged). `'match'` keeps
 * the library's default of matching them (always the general path).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { MaskpackError } from '../errors.js';
import { encodeGpt2 } from './gpt2.js';
import { gpt2IdMap, type BpeTokenizerJson } from './gpt2-compat.js';
import { modelType } from './model-type.js';
import { resolveSpecials } from './specials.js';
import type { Tokenizer, TokenizerOptions, WordStartTable } from './types.js';

interface AddedTokenJson { id: number; content: string; special?: boolean }
interface TokenizerJson extends BpeTokenizerJson {
  pre_tokenizer?: { type?: string; add_prefix_space?: boolean; use_regex?: boolean; pretokenizers?: { type?: string }[] } | null;
  added_tokens?: AddedTokenJson[];
  model?: BpeTokenizerJson['model'] & { vocab?: Record<string, number> | [string, number][]; unk_token?: string | null; unk_id?: number | null };
}

function hasType(p: TokenizerJson['pre_tokenizer'], type: string): boolean {
  return !!p && (p.type === type || (p.pretokenizers ?? []).some((q) => q.type === type));
}

/** Token text → id of the model's vocabulary and the added tokens, checked. */
function vocabularyOf(file: string, json: TokenizerJson): Map<string, number> {
  const vocab = new Map<string, number>();
  const put = (token: unknown, id: unknown, where: string): void => {
    if (typeof token !== 'string' || !Number.isInteger(id) || (id as number) < 0 || (id as number) >= 2 ** 31) {
      throw new MaskpackError('ERR_BAD_INPUT', `${file}: ${where} is not a token with an id in [0, 2^31): ${JSON.stringify([token, id]).slice(0, 80)}`);
    }
    vocab.set(token, id as number);
  };
  const v = json.model?.vocab;
  if (Array.isArray(v)) v.forEach((entry, i) => put(Array.isArray(entry) ? entry[0] : undefined, i, `model.vocab[${i}]`));
  else if (v && typeof v === 'object') for (const [t, id] of Object.entries(v)) put(t, id, `model.vocab[${JSON.stringify(t).slice(0, 40)}]`);
  (json.added_tokens ?? []).forEach((a, i) => put(a?.content, a?.id, `added_tokens[${i}]`));
  if (vocab.size === 0) throw new MaskpackError('ERR_BAD_INPUT', `${file}: not a usable tokenizer.json: the model has no vocabulary`);
  return vocab;
}

/** A character no decoded text contains (a lone surrogate): a renamed piece can never match. */
const UNMATCHABLE = '\uDFFF';

/** `json` for encoding corpus text as plain text: special added tokens dropped, the model's special pieces renamed. */
function plainTextJson(json: TokenizerJson, reserved: ReadonlySet<number>, unk: number | undefined): TokenizerJson {
  const model = { ...json.model! };
  const rename = (id: number): boolean => reserved.has(id) && id !== unk;
  if (Array.isArray(model.vocab)) {
    model.vocab = model.vocab.map((e, id): [string, number] => (rename(id) ? [`${UNMATCHABLE}${id}`, e[1]] : e));
  } else if (model.vocab) {
    model.vocab = Object.fromEntries(Object.entries(model.vocab).map(([t, id]) => [rename(id) ? `${UNMATCHABLE}${id}` : t, id]));
  }
  const added = (json.added_tokens ?? []).filter((a) => !a.special && !reserved.has(a.id));
  return { ...json, model, added_tokens: added };
}

class HuggingFaceTokenizer implements Tokenizer {
  readonly identity: Tokenizer['identity'];
  readonly vocabSize: number;
  readonly specials: Tokenizer['specials'];
  private readonly file: string;
  private readonly hf: HfTokenizer;
  private readonly encoder: HfTokenizer | null;
  private readonly json: TokenizerJson;
  private readonly type: string;
  private readonly vocab: Map<string, number>;
  private readonly gpt2Map: Int32Array | null;
  /** Tokens added after the file's vocabulary (by `specialTokens`). */
  private readonly added: ReadonlyMap<number, string>;
  /** Ids of the file's vocabulary: below this, an id without a token is a hole. */
  private readonly fileVocabSize: number;
  /** 1 for each id plain text must never produce (special ids other than unk). */
  private readonly forbidden: Uint8Array | null;
  /** 1 for each id below `fileVocabSize` that has no token. */
  private readonly hole: Uint8Array;
  private table: WordStartTable | null | undefined;

  constructor(file: string, bytes: Buffer, options: TokenizerOptions) {
    this.file = file;
    let json: TokenizerJson;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw new MaskpackError('ERR_BAD_INPUT', `${file}: not a usable tokenizer.json: ${(err as Error).message}`, { cause: err });
    }
    if (json === null || typeof json !== 'object' || json.model === null || typeof json.model !== 'object') {
      throw new MaskpackError('ERR_BAD_INPUT', `${file}: not a usable tokenizer.json: no "model" object`);
    }
    const type = modelType(json.model as Record<string, unknown>);
    if (type === undefined) {
      throw new MaskpackError('ERR_BAD_INPUT', `${file}: not a usable tokenizer.json: the model has no "type" and its fields fit none of BPE, WordPiece, WordLevel, Unigram`);
    }
    this.type = type;
    json = { ...json, model: { ...json.model, type } };
    this.json = json;
    this.vocab = vocabularyOf(file, json);
    const hf = (j: TokenizerJson): HfTokenizer => {
      try {
        return new HfTokenizer(j, { clean_up_tokenization_spaces: false });
      } catch (err) {
        throw new MaskpackError('ERR_BAD_INPUT', `${file}: not a usable tokenizer.json: ${(err as Error).message}`, { cause: err });
      }
    };
    this.hf = hf(json);
    const marked = (json.added_tokens ?? []).filter((a) => a.special).map((a) => a.id);
    const r = resolveSpecials(file, this.vocab, marked, options.specialTokens ?? {});
    this.specials = r.specials;
    this.vocabSize = r.vocabSize;
    this.added = r.added;
    this.fileVocabSize = r.vocabSize - r.added.size;
    this.hole = new Uint8Array(this.fileVocabSize);
    for (const id of r.holes) this.hole[id] = 1;
    const plain = (options.specialText ?? 'plain') === 'plain';
    this.gpt2Map = plain ? gpt2IdMap(json, this.vocab) : null;
    const reserved = new Set(this.specials.all);
    const unk = type === 'Unigram' ? json.model?.unk_id ?? undefined : this.vocab.get(json.model?.unk_token ?? '');
    this.encoder = this.gpt2Map ? null : plain ? hf(plainTextJson(json, reserved, unk)) : this.hf;
    if (plain) {
      this.forbidden = new Uint8Array(this.vocabSize);
      for (const id of reserved) if (id !== unk && id !== this.specials.unk) this.forbidden[id] = 1;
    } else {
      this.forbidden = null;
    }
    const engine = this.gpt2Map ? 'GPT-2 BPE: gpt-tokenizer 4.0.0 r50k_base, ids remapped' : '@huggingface/tokenizers 0.2.0';
    const extra = [
      ...[...r.added].map(([id, t]) => `added ${JSON.stringify(t)} = ${id}`),
      ...(r.holes.length ? [`${r.holes.length} ids without a token reserved`] : []),
      ...(plain ? [] : ['special-token text matched']),
    ];
    this.identity = {
      name: 'huggingface',
      source: `tokenizer.json ${path.basename(file)} (${engine})${extra.length ? `; ${extra.join('; ')}` : ''}`,
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
    } else if (this.type === 'WordPiece') {
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
    const ids = this.encoder!.encode(text, { add_special_tokens: false }).ids;
    for (const id of ids) {
      // The model has no unk token for a piece it cannot represent (the library gives undefined).
      if (!Number.isInteger(id)) throw new Error(`${this.file}: the tokenizer has no id for a piece of the text and no unk token`);
      if (this.forbidden?.[id]) throw new Error(`${this.file}: plain text was encoded as special id ${id} (a tokenizer.json maskpack cannot keep special text plain in)`);
    }
    return ids;
  }

  /** Ids without a token are skipped (as the Rust library does); added tokens decode to their text. */
  decode(ids: ArrayLike<number>): string {
    let out = '';
    let run: number[] = [];
    const flush = (): void => {
      if (run.length) out += this.hf.decode(run, { clean_up_tokenization_spaces: false });
      run = [];
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const added = this.added.get(id);
      if (added !== undefined) {
        flush();
        out += added;
      } else if (id >= 0 && id < this.fileVocabSize && !this.hole[id]) {
        run.push(id);
      }
    }
    flush();
    return out;
  }
}

/**
 * Load a Hugging Face `tokenizer.json` from disk (synchronously; the file is small). Rejects
 * with `ERR_BAD_INPUT` naming the file when it cannot be read or used, or when a special role
 * has no token (see `specials.ts`).
 */
export function loadHuggingFaceTokenizer(file: string, options: TokenizerOptions = {}): Tokenizer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new MaskpackError('ERR_BAD_INPUT', `${file}: cannot read tokenizer: ${(err as Error).message}`, { cause: err });
  }
  return new HuggingFaceTokenizer(file, bytes, options);
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { defaultCorpusFiles, loadTokenizer } from 'maskpack';
import { gpt2PieceBytes } from '../src/tokenizer/gpt2.js';
import { bytesToUnicode } from './helpers/tokenizer-json.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-gpt2compat-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));


/**
 * A roberta-style tokenizer.json with GPT-2's pieces under permuted ids (as roberta-base's
 * frequency-ordered ids are): merges rebuilt from gpt-tokenizer's ranks (merge i forms piece 256 + i).
 */
function gpt2TokenizerJson(): { json: any; idOf: (t: number) => number } {
  const chars = bytesToUnicode();
  const strs = gpt2PieceBytes().map((p) => Array.from(p, (b) => chars[b]).join(''));
  const rank = new Map(strs.map((s, i) => [s, i]));
  const merges: string[] = [];
  for (let t = 256; t < strs.length; t++) {
    const parts = Array.from(strs[t]);
    while (parts.length > 2) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = rank.get(parts[i] + parts[i + 1]);
        if (r !== undefined && r < t && r < bestRank) { bestRank = r; best = i; }
      }
      parts.splice(best, 2, parts[best] + parts[best + 1]);
    }
    merges.push(`${parts[0]} ${parts[1]}`);
  }
  const idOf = (t: number): number => 4 + ((t * 7919) % 50256);
  const vocab: Record<string, number> = { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3, '<mask>': 50260 };
  strs.forEach((s, t) => { vocab[s] = idOf(t); });
  const added = [['<s>', 0], ['<pad>', 1], ['</s>', 2], ['<unk>', 3], ['<mask>', 50260]]
    .map(([content, id]) => ({ id, content, single_word: false, lstrip: content === '<mask>', rstrip: false, normalized: false, special: true }));
  const json = {
    version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null, decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges },
  };
  return { json, idOf };
}

test('a GPT-2-family tokenizer.json takes the fast path with the file\'s own ids', () => {
  const { json } = gpt2TokenizerJson();
  const file = path.join(tmp, 'tokenizer.json');
  fs.writeFileSync(file, JSON.stringify(json));
  const fast = loadTokenizer(file);
  assert.match(fast.identity.source, /ids remapped/);
  const reference = new HfTokenizer(json, { clean_up_tokenization_spaces: false });
  const text = fs.readFileSync(defaultCorpusFiles()[150], 'utf8').slice(0, 20000) + ' naïve café — “quotes” 日本語 🙂\n\n  tabs\t 1234567 x';
  const want = reference.encode(text, { add_special_tokens: false }).ids;
  assert.deepEqual(fast.encode(text), want);
  assert.equal(fast.decode(want), text);
  assert.equal(fast.wordStarts?.rule, 'leading-space');

  json.model.merges = [...json.model.merges];
  [json.model.merges[10], json.model.merges[11]] = [json.model.merges[11], json.model.merges[10]];
  const other = path.join(tmp, 'other.json');
  fs.writeFileSync(other, JSON.stringify(json));
  assert.match(loadTokenizer(other).identity.source, /@huggingface\/tokenizers/);
});

test('GPT-2\'s own tokenizer.json (ids 0..50256, no <s>/<pad>/<unk>/<mask>): refused with the missing roles, fast path with --special', () => {
  const { json, idOf } = gpt2TokenizerJson();
  // GPT-2's numbering: piece t has id t; <|endoftext|> is 50256.
  const byId = new Map(Object.entries(json.model.vocab as Record<string, number>).map(([p, id]) => [id, p]));
  const own: Record<string, number> = {};
  for (let t = 0; t < 50256; t++) own[byId.get(idOf(t))!] = t;
  json.model.vocab = own;
  json.added_tokens = [{ id: 50256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }];
  const file = path.join(tmp, 'gpt2.json');
  fs.writeFileSync(file, JSON.stringify(json));
  assert.throws(() => loadTokenizer(file), { code: 'ERR_BAD_INPUT', message: /gpt2\.json: no special token for bos, cls, pad, unk, mask/ });
  const t = loadTokenizer(file, { specialTokens: { bos: '<|endoftext|>', pad: '<|endoftext|>', unk: '<|endoftext|>', mask: '<mask>' } });
  assert.match(t.identity.source, /ids remapped\); added "<mask>" = 50257/);
  assert.deepEqual([t.vocabSize, t.specials.mask, t.specials.eos], [50258, 50257, 50256]);
  const text = 'Hello world <|endoftext|> and <mask> are plain text here.';
  assert.deepEqual(t.encode(text), new HfTokenizer({ ...json, added_tokens: [] }, { clean_up_tokenization_spaces: false }).encode(text, { add_special_tokens: false }).ids);
  assert.equal(t.decode(t.encode(text)), text);
});

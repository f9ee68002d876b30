/** Tokenizer files as found in the wild: ids without a token, no special tokens, no model type, special text in the corpus. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ingest, loadTokenizer, openStore } from 'maskpack';
import { tinyTokenizerJson } from './helpers/tokenizer-json.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-tokfiles-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const CLI = path.join(import.meta.dirname, '..', 'src', 'cli', 'main.js');

function write(name: string, content: unknown): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

type Json = { model: Record<string, any>; added_tokens: { id: number; content: string; special: boolean }[]; pre_tokenizer: unknown };

/** The tiny BPE file with `<mask>` moved up by `gap`, leaving ids without a token below it. */
function withHoles(gap: number): { file: string; mask: number; holes: number[] } {
  const json = tinyTokenizerJson() as Json;
  const first = Object.keys(json.model.vocab).length;
  const added = json.added_tokens.find((a) => a.content === '<mask>')!;
  added.id = first + gap;
  return { file: write(`holes-${gap}.json`, json), mask: added.id, holes: Array.from({ length: gap }, (_, i) => first + i) };
}

test('a vocabulary with ids that have no token is accepted: the ids are reserved, workers do not fail, decoding skips them', async () => {
  const { file, mask, holes } = withHoles(3);
  const t = loadTokenizer(file);
  assert.equal(t.vocabSize, mask + 1);
  for (const id of [...holes, mask]) assert.ok(t.specials.all.includes(id), `id ${id} is reserved`);
  assert.equal(t.wordStarts!.table.length, t.vocabSize);
  assert.equal(t.decode([...t.encode('the cat'), holes[1], ...t.encode(' sat')]), 'the cat sat');
  const doc = write('holes.txt', 'the cat sat. The cat ran.');
  const out = path.join(tmp, 'holes-store');
  await ingest({ inputs: [doc], out, tokenizer: file, workers: 2 });
  const s = openStore(out);
  assert.equal(s.vocabSize, mask + 1);
  assert.deepEqual(s.specials.all, t.specials.all);
  s.close();
});

test('more missing ids than a store can reserve are refused up front, naming the file and the ids', async () => {
  const { file, holes } = withHoles(70);
  const want = new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*missing ids: ${holes[0]}–${holes[69]}\\)`);
  assert.throws(() => loadTokenizer(file), { code: 'ERR_BAD_INPUT', message: want });
  const out = path.join(tmp, 'never');
  await assert.rejects(ingest({ inputs: [write('x.txt', 'the cat.')], out, tokenizer: file, workers: 1 }), { code: 'ERR_BAD_INPUT', message: want });
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.startsWith('never')), []);
});

/** GPT-2's shape: byte-level BPE whose only added token is `<|endoftext|>` (no <s>, <pad>, <unk>, <mask>). */
function gpt2Shaped(): { file: string; eot: number } {
  const json = tinyTokenizerJson() as Json;
  for (const s of ['<s>', '<pad>', '</s>', '<unk>']) delete json.model.vocab[s];
  const vocab: Record<string, number> = {};
  Object.keys(json.model.vocab).forEach((k, i) => { vocab[k] = i; });
  const eot = Object.keys(vocab).length;
  json.model.vocab = vocab;
  json.added_tokens = [{ id: eot, content: '<|endoftext|>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: true } as never];
  return { file: write('gpt2-shaped.json', json), eot };
}

test('a GPT-2-shaped tokenizer.json: the missing special tokens are named with how to give them; --special adds <mask>', async () => {
  const { file, eot } = gpt2Shaped();
  assert.throws(() => loadTokenizer(file), {
    code: 'ERR_BAD_INPUT',
    message: /gpt2-shaped\.json: no special token for bos, cls, pad, unk, mask \(looked for bos: <s>, .*\); name them with --special <role>=<token or id>/,
  });
  const specialTokens = { bos: '<|endoftext|>', pad: '<|endoftext|>', unk: eot, mask: '<mask>' };
  const t = loadTokenizer(file, { specialTokens });
  assert.deepEqual([t.specials.bos, t.specials.eos, t.specials.cls, t.specials.sep, t.specials.pad, t.specials.unk, t.specials.mask], [eot, eot, eot, eot, eot, eot, eot + 1]);
  assert.equal(t.vocabSize, eot + 2);
  assert.deepEqual(t.specials.all, [eot, eot + 1]);
  assert.equal(t.decode([...t.encode('the cat'), eot + 1]), 'the cat<mask>');
  assert.ok(!t.encode('the <mask> cat').includes(eot + 1), 'corpus text cannot produce the added id');
  assert.throws(() => loadTokenizer(file, { specialTokens: { ...specialTokens, unk: 9999 } }), { code: 'ERR_BAD_INPUT', message: /unk=9999: the vocabulary has no id 9999/ });
  assert.throws(() => loadTokenizer(file, { specialTokens: { sep2: 'x' } as never }), { name: 'RangeError', message: /options.specialTokens has an unknown role "sep2"/ });

  const doc = write('gpt2.txt', 'the cat sat. The cat ran.');
  const out = path.join(tmp, 'gpt2-store');
  const args = [CLI, 'ingest', doc, '--out', out, '-t', file, '-w', '2', '--special', 'bos=<|endoftext|>', '--special', 'pad=<|endoftext|>', '--special', `unk=${eot}`, '--special', 'mask=<mask>'];
  execFileSync(process.execPath, args, { encoding: 'utf8' });
  const s = openStore(out);
  assert.deepEqual([s.vocabSize, s.specials.mask, s.specials.bos], [eot + 2, eot + 1, eot]);
  assert.deepEqual((s.manifest.provenance?.ingest as { specialTokens: unknown }).specialTokens, { bos: '<|endoftext|>', pad: '<|endoftext|>', unk: eot, mask: '<mask>' });
  s.close();
  const bad = spawnSync(process.execPath, [CLI, 'ingest', doc, '--out', path.join(tmp, 'no'), '-t', file, '--special', 'mask'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--special must be <role>=<token or id>, got "mask"/);
  const missing = spawnSync(process.execPath, [CLI, 'ingest', doc, '--out', path.join(tmp, 'no'), '-t', file], { encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no special token for bos, cls, pad, unk, mask .*--special bos=<bos>/);
});

/** A BERT-style WordPiece file; `typed` decides whether the model says "type". */
function wordPiece(typed: boolean, pre: object = { type: 'BertPreTokenizer' }): object {
  const vocab: Record<string, number> = {};
  ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cat', '##s', 'sat', '.', '[', ']', 'MASK', 'SEP', 'ran', '##n'].forEach((t, i) => { vocab[t] = i; });
  const added = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const model = { unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab };
  return {
    version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer: null, pre_tokenizer: pre, post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true }, model: typed ? { type: 'WordPiece', ...model } : model,
  };
}

test('a WordPiece tokenizer.json without a model type is read as WordPiece, so word starts are recorded', async () => {
  const typed = loadTokenizer(write('wp-typed.json', wordPiece(true)));
  const file = write('wp-untyped.json', wordPiece(false));
  const untyped = loadTokenizer(file);
  const text = 'the cats sat. the cat ran.';
  assert.deepEqual(untyped.encode(text), typed.encode(text));
  assert.deepEqual(untyped.encode('the cats'), [5, 6, 7]);
  assert.equal(untyped.wordStarts?.rule, 'not-continuation');
  assert.deepEqual(Array.from(untyped.wordStarts!.table), Array.from(typed.wordStarts!.table));
  assert.equal(untyped.wordStarts!.table[7], 0, '"##s" continues a word');
  const out = path.join(tmp, 'wp-store');
  await ingest({ inputs: [write('wp.txt', text)], out, tokenizer: file, workers: 1 });
  const s = openStore(out);
  assert.equal(s.manifest.wordStarts?.rule, 'not-continuation');
  s.close();
});

test('special-token text in the corpus stays plain text unless --special-text match', async () => {
  const bpe = write('bpe.json', tinyTokenizerJson());
  const plain = loadTokenizer(bpe);
  const text = 'the <mask> cat </s><s>';
  const ids = plain.encode(text);
  const { mask, eos, bos } = plain.specials;
  assert.ok(!ids.some((id) => plain.specials.all.includes(id)), `no special id from plain text: ${ids}`);
  assert.equal(plain.decode(ids), text);
  const matched = loadTokenizer(bpe, { specialText: 'match' }).encode(text);
  for (const id of [mask, eos, bos]) assert.ok(matched.includes(id), `match finds id ${id}: ${matched}`);

  // A model that would produce the special piece itself (WordPiece over whitespace-split words).
  const wp = write('wp-ws.json', wordPiece(true, { type: 'WhitespaceSplit' }));
  const w = loadTokenizer(wp);
  const words = w.encode('the [MASK] cat [SEP]');
  assert.ok(!words.some((id) => id !== w.specials.unk && w.specials.all.includes(id)), `only unk among special ids: ${words}`);
  assert.deepEqual(loadTokenizer(wp, { specialText: 'match' }).encode('the [MASK] cat'), [5, 4, 6]);

  const out = path.join(tmp, 'special-store');
  await ingest({ inputs: [write('special.txt', `Injected ${text} text.`)], out, tokenizer: bpe, workers: 1 });
  const s = openStore(out);
  const all = new Int32Array(s.numTokens);
  s.readTokens(0, s.numTokens, all);
  assert.ok(!Array.from(all).some((id) => s.specials.all.includes(id)));
  assert.equal((s.manifest.provenance?.ingest as { specialText: string }).specialText, 'plain');
  s.close();
  await assert.rejects(ingest({ inputs: [write('y.txt', 'x')], out: path.join(tmp, 'no'), specialText: 'match' }), { name: 'RangeError', message: /options.specialText applies to a tokenizer.json/ });
});

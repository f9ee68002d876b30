import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ingest, loadTokenizer, openStore, robertaGpt2Tokenizer } from 'maskpack';
import { tinyTokenizerJson } from './helpers/tokenizer-json.js';

test('built-in tokenizer: GPT-2 ids shifted by 4, RoBERTa specials', () => {
  const t = robertaGpt2Tokenizer();
  assert.equal(t.vocabSize, 50265);
  assert.deepEqual(t.encode('Hello world'), [15496 + 4, 995 + 4]);
  assert.deepEqual(t.encode(' Hello'), [18435 + 4]);
  assert.deepEqual(t.specials.all, [0, 1, 2, 3, 50260, 50261, 50262, 50263, 50264]);
  assert.deepEqual(t.specials.tokens, { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3, '<mask>': 50264 });
  const text = 'Special text <|endoftext|> and <mask> stays plain text.';
  const ids = t.encode(text);
  assert.ok(ids.every((id) => id >= 4 && id < 50260), 'no special ids from plain text');
  assert.equal(t.decode(ids), text);
  assert.equal(t.decode([0, ...t.encode(' a'), 2, 50264]), '<s> a</s><mask>');
  const ws = t.wordStarts!.table;
  assert.equal(ws[18435 + 4], 1, '" Hello" starts a word');
  assert.equal(ws[15496 + 4], 0, '"Hello" does not');
  assert.equal(ws[0] | ws[50264] | ws[50260], 0);
  assert.equal(loadTokenizer(), t);
});

test('built-in tokenizer: multi-byte and invalid-looking text round trips', () => {
  const t = robertaGpt2Tokenizer();
  for (const s of ['naïve café — “quotes” 日本語 🙂', '\n\n  tabs\tand\r\nCRLF ', '\uFFFD replaced']) {
    assert.equal(t.decode(t.encode(s)), s);
  }
});

test('--tokenizer: a Hugging Face byte-level BPE tokenizer.json from disk', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-tok-'));
  try {
    const file = path.join(dir, 'tokenizer.json');
    const json = tinyTokenizerJson() as { model: { vocab: Record<string, number> } };
    fs.writeFileSync(file, JSON.stringify(json));
    const t = loadTokenizer(file);
    const v = json.model.vocab;
    assert.equal(t.vocabSize, Object.keys(v).length + 1);
    assert.equal(t.identity.name, 'huggingface');
    assert.match(t.identity.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual({ bos: t.specials.bos, pad: t.specials.pad, eos: t.specials.eos, unk: t.specials.unk }, { bos: 0, pad: 1, eos: 2, unk: 3 });
    assert.equal(t.specials.mask, t.vocabSize - 1);
    assert.deepEqual(t.encode('the cat'), [v['t'], v['he'], v['Ġcat']]);
    const text = 'the cat sat.\n  The cat — naïve 🙂';
    assert.equal(t.decode(t.encode(text)), text);
    const ws = t.wordStarts!;
    assert.equal(ws.rule, 'leading-space');
    assert.equal(ws.table[v['Ġthe']], 1);
    assert.equal(ws.table[v['he']], 0);
    assert.equal(ws.table[t.specials.mask], 0);
    assert.throws(() => loadTokenizer(path.join(dir, 'missing.json')), { code: 'ERR_BAD_INPUT' });
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"model": 1}');
    assert.throws(() => loadTokenizer(path.join(dir, 'bad.json')), { code: 'ERR_BAD_INPUT' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('ingest --tokenizer: workers load the same tokenizer.json; the manifest records it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-tok-ingest-'));
  try {
    const file = path.join(dir, 'tokenizer.json');
    fs.writeFileSync(file, JSON.stringify(tinyTokenizerJson()));
    const text = 'the cat sat. The cat — naïve 🙂 ran!  Then the end.';
    fs.writeFileSync(path.join(dir, 'doc.txt'), text);
    const out = path.join(dir, 'store');
    await ingest({ inputs: [path.join(dir, 'doc.txt')], out, tokenizer: file, workers: 2 });
    const t = loadTokenizer(file);
    const s = openStore(out);
    try {
      assert.equal(s.vocabSize, t.vocabSize);
      assert.equal(s.manifest.tokenizer.sha256, t.identity.sha256);
      assert.equal(s.manifest.wordStarts?.rule, 'leading-space');
      assert.deepEqual(Array.from(s.wordStarts!), Array.from(t.wordStarts!.table));
      const ids = new Int32Array(s.numTokens);
      s.readTokens(0, s.numTokens, ids);
      assert.equal(t.decode(ids), text);
      assert.equal(s.numSentences, 3);
    } finally {
      s.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStoreWriter, exportFairseq, ingest, openStore, robertaGpt2Tokenizer, type OpenedStore } from 'maskpack';
import { fairseqDictionaryIds, readFairseq } from './helpers/fairseq.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-fairseq-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function sentences(s: OpenedStore): number[][][] {
  const docs: number[][][] = [];
  for (let d = 0; d < s.numDocuments; d++) {
    const doc: number[][] = [];
    const first = s.documentIndex[d];
    let at = s.documentTokenStarts[d];
    for (const length of s.readSentenceLengths(first, s.documentIndex[d + 1] - first)) {
      const ids = new Int32Array(length);
      s.readTokens(at, length, ids);
      at += length;
      doc.push(Array.from(ids));
    }
    docs.push(doc);
  }
  return docs;
}

async function corpus(): Promise<string> {
  const file = path.join(tmp, 'corpus.txt');
  fs.writeFileSync(file, 'First sentence here.\nSecond one follows.\n\nA new document starts.\n\nThird document.\nWith two lines.\n');
  const prefix = path.join(tmp, 'store');
  await ingest({ inputs: [file], out: prefix, inputFormat: 'lines', workers: 1 });
  return prefix;
}

test('fairseq reads the export as fairseq-preprocess would have written the corpus (lines), and maskpack\'s own .idx not at all', async () => {
  const prefix = await corpus();
  const s = openStore(prefix);
  const docs = sentences(s);
  s.close();
  assert.equal(docs.length, 3);
  const out = path.join(tmp, 'data-bin', 'train');
  const summary = await exportFairseq(prefix, out);
  const want = docs.flatMap((doc, d) => [...(d > 0 ? [[2]] : []), ...doc.map((ids) => [...ids, 2])]);
  const got = readFairseq(out);
  assert.equal(got.dtype, 'uint16');
  assert.equal(got.end, got.idxBytes, 'the index ends where fairseq\'s layout says');
  assert.deepEqual(got.sequences, want);
  assert.deepEqual([summary.sequences, summary.tokens], [want.length, want.flat().length]);

  // The store's own (Megatron) index read by fairseq's reader: the layout does not line up.
  let own: ReturnType<typeof readFairseq> | undefined;
  try {
    own = readFairseq(prefix);
  } catch (err) {
    assert.match(String(err), /offset must be non-negative|buffer/);
  }
  if (own) assert.notDeepEqual(own.sequences, docs.flat());

  // dict.txt numbers every id as the store does; masked_lm's <mask> lands on the store's mask id.
  const dict = fairseqDictionaryIds(fs.readFileSync(path.join(tmp, 'data-bin', 'dict.txt'), 'utf8'));
  const t = robertaGpt2Tokenizer();
  assert.equal(dict.size, t.specials.mask, '<mask> is appended after the dictionary');
  const hello = t.encode(' Hello');
  assert.equal(dict.get(String(hello[0] - 4)), hello[0], 'a piece is its GPT-2 number, as fairseq\'s gpt2 dict.txt');
  assert.equal(dict.get('50256'), 50260);
  assert.equal(dict.get('madeupword0002'), 50263);
  const first = docs[0][0][0];
  const counted = fs.readFileSync(path.join(tmp, 'data-bin', 'dict.txt'), 'utf8').split('\n')[first - 4];
  assert.ok(counted.startsWith(`${first - 4} `));
  assert.ok(/ [1-9]\d*$/.test(counted), `the count of a piece in the corpus is positive: ${counted}`);
});

test('the sentences layout is the store\'s .bin byte for byte; int32 stores keep their dtype; no dict.txt for other ids', async () => {
  const prefix = await corpus();
  const out = path.join(tmp, 'raw', 'train');
  const summary = await exportFairseq(prefix, out, { layout: 'sentences', dict: false });
  assert.deepEqual(summary.dict, { skipped: 'not asked for' });
  assert.ok(fs.readFileSync(`${out}.bin`).equals(fs.readFileSync(`${prefix}.bin`)));
  const s = openStore(prefix);
  assert.deepEqual(readFairseq(out).sequences, sentences(s).flat());
  s.close();
  assert.ok(!fs.existsSync(path.join(tmp, 'raw', 'dict.txt')));

  const wide = path.join(tmp, 'wide');
  const w = createStoreWriter(wide, {
    vocabSize: 70000, tokenizer: { name: 'test', source: 'test', vocabSize: 70000 },
    specials: { bos: 69990, eos: 69991, cls: 69990, sep: 69991, pad: 69992, unk: 69993, mask: 69994, all: [69990, 69991, 69992, 69993, 69994] },
  });
  w.addDocument([[5, 69000, 7], [1]]);
  w.addDocument([[65536]]);
  w.finish();
  const wo = path.join(tmp, 'wide-fs');
  const ws = await exportFairseq(wide, wo);
  assert.match((ws.dict as { skipped: string }).skipped, /special ids are not fairseq's/);
  const got = readFairseq(wo);
  assert.equal(got.dtype, 'int32');
  assert.deepEqual(got.sequences, [[5, 69000, 7, 69991], [1, 69991], [69991], [65536, 69991]]);
});

test('a dict.txt with other symbols is not overwritten, and a failed export leaves nothing', async () => {
  const prefix = await corpus();
  const dir = path.join(tmp, 'clash');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'dict.txt'), 'hello 3\nworld 2\n');
  await assert.rejects(exportFairseq(prefix, path.join(dir, 'train')), { code: 'ERR_BAD_INPUT', message: /dict\.txt: exists with other symbols/ });
  assert.deepEqual(fs.readdirSync(dir), ['dict.txt']);
  await assert.rejects(exportFairseq(prefix, path.join(dir, 'x'), { layout: 'docs' as never }), { name: 'RangeError', message: /options.layout must be one of lines, sentences, got "docs"/ });
});

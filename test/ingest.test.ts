import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { defaultCorpusFiles, DocumentSentences, ingest, ingestDocuments, mergeStores, openStore, robertaGpt2Tokenizer, type OpenedStore } from 'maskpack';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-ingest-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const tok = robertaGpt2Tokenizer();

function file(name: string, content: string | Buffer): string {
  const p = path.join(tmp, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
}

/** The decoded sentences of each document. */
function decodeDocs(s: OpenedStore): string[][] {
  const docs: string[][] = [];
  for (let d = 0; d < s.numDocuments; d++) {
    const sents: string[] = [];
    const sentences = new DocumentSentences(s).load(d);
    for (let k = 0; k < sentences.count; k++) {
      const ids = new Int32Array(sentences.lengths[k]);
      s.readTokens(sentences.starts[k], ids.length, ids);
      sents.push(tok.decode(ids));
    }
    docs.push(sents);
  }
  return docs;
}

/** Files left at an output prefix (finished or temporary). */
function leftovers(prefix: string): string[] {
  return fs.readdirSync(path.dirname(prefix)).filter((f) => f.startsWith(path.basename(prefix) + '.'));
}

const sotu = defaultCorpusFiles().slice(200, 215);

test('decoding a document\'s sentences reproduces its text (text and jsonl)', async () => {
  const tricky = [
    '  Leading whitespace. Two spaces  between. Tabs\tand\nnewlines!\n\nNew paragraph? Yes.\n\n  ',
    'naïve café — “Quotes.” 日本語テキスト。 🙂 Mr. Smith <mask> <|endoftext|> </s>.',
    'no terminal punctuation at all',
  ];
  const inputs = [...sotu.slice(0, 5), ...tricky.map((t, i) => file(`tricky/${i}.txt`, t))];
  const jsonl = file('docs.jsonl', tricky.map((t) => JSON.stringify({ text: t })).join('\n') + '\n');
  const out = path.join(tmp, 'decode');
  const summary = await ingest({ inputs: [...inputs, jsonl], out, workers: 2 });
  const s = openStore(out, { verifyChecksums: true });
  try {
    const expected = [...inputs.map((f) => fs.readFileSync(f, 'utf8')), ...tricky];
    assert.equal(s.numDocuments, expected.length);
    assert.equal(summary.documents, expected.length);
    decodeDocs(s).forEach((sents, d) => assert.equal(sents.join(''), expected[d], `document ${d}`));
    assert.equal(s.manifest.tokenizer.name, 'roberta-gpt2');
    assert.equal(s.manifest.wordStarts?.rule, 'leading-space');
    assert.match(s.manifest.whitespace, /^leading/);
    assert.deepEqual(s.specials.all, [0, 1, 2, 3, 50260, 50261, 50262, 50263, 50264]);
  } finally {
    s.close();
  }
});

test('1 and 2 workers write byte-identical stores', async () => {
  const lines = file('corpus.lines', 'One sentence.\nAnother one\n\nSecond document.\n');
  const inputs = [...sotu, lines];
  const a = path.join(tmp, 'w1');
  const b = path.join(tmp, 'w2');
  await ingest({ inputs, out: a, workers: 1, inputFormat: undefined });
  await ingest({ inputs, out: b, workers: 2 });
  for (const ext of ['bin', 'idx', 'json']) {
    assert.ok(fs.readFileSync(`${a}.${ext}`).equals(fs.readFileSync(`${b}.${ext}`)), `.${ext} differs`);
  }
});

test('lines format: one sentence per line, blank lines between documents', async () => {
  const out = path.join(tmp, 'lines');
  const f = file('bert.txt', 'First sentence.\r\nSecond line here\n\n\n  \nDoc two, only line.\nx');
  const summary = await ingest({ inputs: [f], out, inputFormat: 'lines', workers: 1 });
  const s = openStore(out);
  assert.deepEqual(decodeDocs(s), [['First sentence.', 'Second line here'], ['Doc two, only line.', 'x']]);
  assert.equal(summary.emptyDocuments, 0);
  s.close();
});

test('a 3 MB single-line document streams in chunks and round trips', async () => {
  const sentence = 'The quick brown fox — naïve café 🙂 jumps over the lazy dog again. ';
  const text = sentence.repeat(Math.ceil(3e6 / Buffer.byteLength(sentence)));
  const out = path.join(tmp, 'big');
  await ingest({ inputs: [file('big.txt', text)], out, workers: 2 });
  const s = openStore(out);
  const [doc] = decodeDocs(s);
  assert.equal(s.numDocuments, 1);
  assert.equal(doc.join(''), text);
  assert.ok(doc.length > 40000);
  s.close();
});

test('invalid UTF-8 is replaced with U+FFFD and counted; real U+FFFD is not counted', async () => {
  const bytes = Buffer.concat([Buffer.from('Bad byte '), Buffer.from([0xff]), Buffer.from(' and '), Buffer.from([0xc3, 0x28]),
    Buffer.from(' real \uFFFD stays. Cut ', 'utf8'), Buffer.from([0xe2, 0x82])]);
  const out = path.join(tmp, 'utf8');
  const summary = await ingest({ inputs: [file('bad-utf8.txt', bytes)], out, workers: 1 });
  assert.equal(summary.invalidUtf8, 3);
  const s = openStore(out);
  assert.equal(decodeDocs(s)[0].join(''), 'Bad byte \uFFFD and \uFFFD( real \uFFFD stays. Cut \uFFFD');
  assert.equal((s.manifest.provenance as any).ingest.invalidUtf8, 3);
  s.close();
});

test('empty and whitespace-only documents are skipped and counted', async () => {
  const out = path.join(tmp, 'empty');
  const inputs = [file('e/empty.txt', ''), file('e/space.txt', ' \n\t\n'), file('e/real.txt', 'Real text.'),
    file('e/docs.jsonl', '{"text":""}\n\n{"text":"  "}\n{"text":"Kept."}\n')];
  const summary = await ingest({ inputs, out, workers: 1 });
  assert.equal(summary.emptyDocuments, 4);
  assert.equal(summary.documents, 2);
});

test('bad inputs fail with a clear error and leave nothing behind', async () => {
  const binary = file('bin/blob.txt', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x01]));
  const good = file('bin/good.txt', 'Fine text.');
  const cases: [string, Parameters<typeof ingest>[0] extends infer O ? Partial<O> : never, RegExp][] = [
    ['missing file', { inputs: [good, path.join(tmp, 'nope.txt')] }, /nope\.txt: no such file or directory/],
    ['glob without match', { inputs: [path.join(tmp, '*.none')] }, /the pattern matches no files/],
    ['binary file', { inputs: [good, binary] }, /blob\.txt: looks like a binary file \(NUL byte at offset 4\)/],
    ['malformed JSONL', { inputs: [file('bad.jsonl', '{"text":"ok."}\n{"text": oops}\n')] }, /bad\.jsonl:2: invalid JSON/],
    ['JSONL without the field', { inputs: [file('field.jsonl', '{"body":"x"}\n')] }, /field\.jsonl:1: field "text" is missing/],
    ['JSONL non-object', { inputs: [file('arr.jsonl', '[1]\n')] }, /arr\.jsonl:1: not a JSON object/],
  ];
  for (const [name, o, message] of cases) {
    const out = path.join(tmp, 'fail', name.replace(/ /g, '-'));
    await assert.rejects(ingest({ workers: 1, ...o, out } as any), (err: any) => {
      assert.equal(err.code, 'ERR_BAD_INPUT', name);
      assert.match(err.message, message, name);
      return true;
    });
    assert.deepEqual(fs.existsSync(path.dirname(out)) ? leftovers(out) : [], [], name);
  }
});

test('--skip-bad skips and counts malformed lines and binary files; --text-field picks the field', async () => {
  const out = path.join(tmp, 'skip');
  const summary = await ingest({
    inputs: [file('skip/a.jsonl', '{"body":"Kept one."}\nnot json\n{"body":3}\n{"body":"Kept two."}\n'), file('skip/b.txt', Buffer.from([0, 1, 2]))],
    out, workers: 1, skipBad: true, textField: 'body',
  });
  assert.deepEqual([summary.documents, summary.skippedLines, summary.skippedFiles], [2, 2, 1]);
});

test('stdin input and an aborted run', async () => {
  const out = path.join(tmp, 'stdin');
  const stdin = Readable.from([Buffer.from('From stdin. Two sentences.')]);
  const summary = await ingest({ inputs: ['-'], out, workers: 1, stdin });
  assert.deepEqual([summary.documents, summary.sentences], [1, 2]);
  const aborted = path.join(tmp, 'aborted');
  const controller = new AbortController();
  controller.abort(new Error('stop'));
  await assert.rejects(ingest({ inputs: sotu.slice(0, 2), out: aborted, workers: 1, signal: controller.signal }), /stop/);
  assert.deepEqual(leftovers(aborted), []);
});

test('options are validated at the boundary', async () => {
  const table: [object, string, string][] = [
    [{ workers: 0 }, 'RangeError', 'options.workers must be a positive integer, got 0'],
    [{ workers: 1.5 }, 'RangeError', 'options.workers must be a positive integer, got 1.5'],
    [{ inputs: [] }, 'TypeError', 'options.inputs must be a non-empty array of non-empty strings, got []'],
    [{ out: '' }, 'TypeError', 'options.out must be a non-empty string, got ""'],
    [{ inputFormat: 'csv' }, 'RangeError', 'options.inputFormat must be one of text, lines, jsonl, got "csv"'],
    [{ maxSentenceChars: 3 }, 'RangeError', 'options.maxSentenceChars must be an integer >= 16, got 3'],
    [{ skipBad: 'yes' }, 'TypeError', 'options.skipBad must be a boolean, got "yes"'],
  ];
  for (const [o, name, message] of table) {
    await assert.rejects(ingest({ inputs: sotu.slice(0, 1), out: path.join(tmp, 'opt'), ...o } as any), { name, message });
  }
});

test('merge concatenates stores and refuses incompatible ones', async () => {
  const a = path.join(tmp, 'ma');
  const b = path.join(tmp, 'mb');
  await ingest({ inputs: sotu.slice(0, 2), out: a, workers: 1 });
  await ingest({ inputs: sotu.slice(2, 3), out: b, workers: 1 });
  const both = path.join(tmp, 'mab');
  await ingest({ inputs: sotu.slice(0, 3), out: both, workers: 1 });
  const merged = path.join(tmp, 'merged');
  const m = await mergeStores([a, b], merged);
  assert.equal(m.counts.documents, 3);
  assert.ok(fs.readFileSync(`${merged}.bin`).equals(fs.readFileSync(`${both}.bin`)));
  assert.ok(fs.readFileSync(`${merged}.idx`).equals(fs.readFileSync(`${both}.idx`)));
  const other = JSON.parse(fs.readFileSync(`${b}.json`, 'utf8'));
  other.specialTokens.mask = 5;
  delete other.sha256.manifest; // a store written without the manifest digest, so the edit is not caught as corruption
  fs.writeFileSync(`${b}.json`, JSON.stringify(other));
  await assert.rejects(mergeStores([a, b], path.join(tmp, 'never')), { code: 'ERR_BAD_INPUT', message: /cannot be merged/ });
  assert.deepEqual(leftovers(path.join(tmp, 'never')), []);
});

test('a leading UTF-8 byte-order mark is dropped and counted in every format; a later U+FEFF is text', async () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const withBom = (name: string, text: string): string => file(name, Buffer.concat([bom, Buffer.from(text)]));
  const out = path.join(tmp, 'bom');
  const text = [withBom('bom/a.txt', 'Hi. There.'), withBom('bom/b.txt', 'Bad \uFEFF'), file('bom/c.txt', 'No mark.')];
  const invalid = file('bom/d.txt', Buffer.concat([bom, Buffer.from('Bad '), Buffer.from([0xff])]));
  const summary = await ingest({ inputs: [...text, invalid], out, workers: 1 });
  assert.deepEqual([summary.byteOrderMarks, summary.invalidUtf8], [3, 1]);
  const s = openStore(out);
  assert.deepEqual(decodeDocs(s).map((d) => d.join('')), ['Hi. There.', 'Bad \uFEFF', 'No mark.', 'Bad \uFFFD']);
  assert.equal((s.manifest.provenance?.ingest as { byteOrderMarks: number }).byteOrderMarks, 3);
  s.close();

  const jsonl = withBom('bom/e.jsonl', '{"text": "Line one."}\n{"text": "Line two."}\n');
  const lines = withBom('bom/f.txt', 'First line\nSecond line\n');
  const j = await ingest({ inputs: [jsonl], out: path.join(tmp, 'bom-jsonl'), workers: 1 });
  assert.deepEqual([j.documents, j.byteOrderMarks], [2, 1]);
  await ingest({ inputs: [lines], out: path.join(tmp, 'bom-lines'), inputFormat: 'lines', workers: 1 });
  const l = openStore(path.join(tmp, 'bom-lines'));
  assert.deepEqual(decodeDocs(l), [['First line', 'Second line']]);
  l.close();

  // A mark split over chunks of a stream, a stream that is only a mark, and in-memory documents.
  const stdin = Readable.from([Buffer.from([0xef]), Buffer.from([0xbb]), Buffer.from([0xbf, 0x48, 0x69, 0x2e])]);
  const st = await ingest({ inputs: ['-'], out: path.join(tmp, 'bom-stdin'), workers: 1, stdin });
  assert.deepEqual([st.byteOrderMarks, st.tokens, st.emptyDocuments], [1, tok.encode('Hi.').length, 0]);
  const only = await ingest({ inputs: ['-'], out: path.join(tmp, 'bom-only'), workers: 1, stdin: Readable.from([bom]) });
  assert.deepEqual([only.byteOrderMarks, only.emptyDocuments], [1, 1]);
  const docs = await ingestDocuments([{ text: '\uFEFFHi.' }], { out: path.join(tmp, 'bom-docs'), workers: 1 });
  assert.deepEqual([docs.byteOrderMarks, docs.tokens], [1, tok.encode('Hi.').length]);
});

test('an output that cannot be created is ERR_STORE_IO (and no worker is left running)', async () => {
  const blocker = file('blocker', 'a file where a directory should be');
  await assert.rejects(ingest({ inputs: sotu.slice(0, 1), out: path.join(blocker, 'store'), workers: 1 }), {
    code: 'ERR_STORE_IO', message: /cannot create .*blocker\/store\.bin\./,
  });
});

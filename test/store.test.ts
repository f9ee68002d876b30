import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStoreWriter, DocumentSentences, loadAllTokens, openStore, type StoreWriterOptions } from 'maskpack';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-store-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function options(vocabSize = 1000): StoreWriterOptions {
  const table = new Uint8Array(vocabSize);
  for (let i = 0; i < vocabSize; i += 3) table[i] = 1;
  return {
    vocabSize,
    specials: { bos: 0, pad: 1, eos: 2, unk: 3, cls: 0, sep: 2, mask: 4, all: [0, 1, 2, 3, 4] },
    tokenizer: { name: 'test', source: 'test', vocabSize },
    wordStarts: { rule: 'every-third', description: 'test', table },
    whitespace: 'test',
  };
}

/** Documents of sentences of ids, deterministic. */
function corpus(vocabSize: number): number[][][] {
  const docs: number[][][] = [];
  let x = 7;
  for (let d = 0; d < 20; d++) {
    const doc: number[][] = [];
    for (let s = 0; s < 1 + (d % 5); s++) {
      const sent: number[] = [];
      for (let t = 0; t < (d * 7 + s * 3) % 40; t++) { x = (x * 1103515245 + 12345) >>> 0; sent.push(x % vocabSize); }
      doc.push(sent);
    }
    docs.push(doc);
  }
  return docs;
}

function write(name: string, docs: number[][][], vocabSize = 1000): string {
  const prefix = path.join(tmp, name);
  const w = createStoreWriter(prefix, options(vocabSize));
  for (const d of docs) w.addDocument(d);
  w.finish();
  return prefix;
}

for (const vocabSize of [1000, 70000]) {
  test(`round trip: same documents, sentences and ids back (vocab ${vocabSize})`, () => {
    const docs = corpus(vocabSize);
    const prefix = write(`rt-${vocabSize}`, docs, vocabSize);
    const s = openStore(prefix, { verifyChecksums: true });
    try {
      assert.equal(s.dtype, vocabSize <= 65536 ? 'uint16' : 'int32');
      assert.equal(s.numDocuments, docs.length);
      assert.equal(s.numSentences, docs.flat().length);
      assert.equal(s.numTokens, docs.flat(2).length);
      assert.equal(s.documentIndex[0], 0);
      assert.equal(s.documentIndex[s.numDocuments], s.numSentences);
      assert.equal(s.documentTokenStarts[s.numDocuments], s.numTokens);
      const all = loadAllTokens(s, { shared: true });
      assert.ok(all.buffer instanceof SharedArrayBuffer);
      assert.deepEqual(Array.from(all), docs.flat(2));
      let i = 0;
      for (let d = 0; d < docs.length; d++) {
        const sentences = new DocumentSentences(s).load(d);
        assert.equal(sentences.starts[0], s.documentTokenStarts[d]);
        for (let k = 0; k < sentences.count; k++, i++) {
          const out = new Int32Array(sentences.lengths[k] + 2);
          s.readTokens(sentences.starts[k], sentences.lengths[k], out, 1);
          assert.deepEqual(Array.from(out.subarray(1, -1)), docs[d][k]);
        }
      }
      assert.equal(s.wordStarts?.[3], 1);
      assert.equal(s.wordStarts?.[4], 0);
      assert.throws(() => s.readTokens(s.numTokens - 1, 2, new Int32Array(2)), RangeError);
      assert.throws(() => s.readBytes(-1, new Uint8Array(1)), RangeError);
    } finally {
      s.close();
    }
    assert.throws(() => s.readTokens(0, 1, new Int32Array(1)), { code: 'ERR_CLOSED' });
  });
}

test('the .idx header and arrays are byte-exact Megatron MMIDIDX v1', () => {
  const prefix = write('bytes', [[[5, 6, 7], [8]], [[9, 10]]]);
  const b = fs.readFileSync(`${prefix}.idx`);
  assert.deepEqual([...b.subarray(0, 9)], [0x4d, 0x4d, 0x49, 0x44, 0x49, 0x44, 0x58, 0, 0]);
  assert.equal(b.readBigUInt64LE(9), 1n);
  assert.equal(b[17], 8);
  assert.equal(b.readBigUInt64LE(18), 3n);
  assert.equal(b.readBigUInt64LE(26), 3n);
  assert.deepEqual([b.readInt32LE(34), b.readInt32LE(38), b.readInt32LE(42)], [3, 1, 2]);
  assert.deepEqual([0, 1, 2].map((i) => b.readBigInt64LE(46 + 8 * i)), [0n, 6n, 8n]);
  assert.deepEqual([0, 1, 2].map((i) => b.readBigInt64LE(70 + 8 * i)), [0n, 2n, 3n]);
  assert.equal(b.length, 94);
  assert.deepEqual([...new Uint16Array(new Uint8Array(fs.readFileSync(`${prefix}.bin`)).buffer)], [5, 6, 7, 8, 9, 10]);
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp')), []);
});

test('an independent reader (Python struct + numpy, Megatron layout) reads the store', () => {
  const docs = corpus(1000);
  const prefix = write('py', docs);
  const script = `
import struct, sys, json, numpy as np
p = sys.argv[1]
with open(p + '.idx', 'rb') as f:
    assert f.read(9) == b'MMIDIDX\\x00\\x00'
    version, = struct.unpack('<Q', f.read(8)); assert version == 1
    code, = struct.unpack('<B', f.read(1))
    n, = struct.unpack('<Q', f.read(8))
    ndoc, = struct.unpack('<Q', f.read(8))
    off = f.tell()
dtype = {8: np.uint16, 4: np.int32}[code]
buf = np.memmap(p + '.idx', mode='r', order='C')
sizes = np.frombuffer(buf, dtype=np.int32, count=n, offset=off)
ptrs = np.frombuffer(buf, dtype=np.int64, count=n, offset=off + sizes.nbytes)
docidx = np.frombuffer(buf, dtype=np.int64, count=ndoc, offset=off + sizes.nbytes + ptrs.nbytes)
bin = np.memmap(p + '.bin', mode='r', dtype=dtype)
docs = []
for d in range(ndoc - 1):
    docs.append([bin[ptrs[i] // np.dtype(dtype).itemsize:][:sizes[i]].tolist() for i in range(docidx[d], docidx[d + 1])])
print(json.dumps(docs))
`;
  const out = execFileSync('python3', ['-c', script, prefix], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), docs.map((d) => d.filter(() => true)));
});

test('a document without sentences is not recorded; abort leaves nothing', () => {
  const prefix = write('empty-doc', [[], [[1]], []]);
  const s = openStore(prefix);
  assert.equal(s.numDocuments, 1);
  s.close();
  const p2 = path.join(tmp, 'aborted');
  const w = createStoreWriter(p2, options());
  w.addSentence([1, 2, 3]);
  w.abort();
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.startsWith('aborted')), []);
  assert.throws(() => w.addSentence([1]), { code: 'ERR_CLOSED' });
});

test('the writer rejects ids outside the vocabulary and bad options', () => {
  const w = createStoreWriter(path.join(tmp, 'bad-ids'), options(10));
  assert.throws(() => w.addSentence([1, 10]), { code: 'ERR_BAD_INPUT', message: /token id 10/ });
  w.abort();
  assert.throws(() => createStoreWriter(path.join(tmp, 'x'), { ...options(), vocabSize: 0 }), {
    name: 'RangeError', message: 'options.vocabSize must be an integer in [1, 2^31], got 0',
  });
  assert.throws(() => createStoreWriter('', options()), TypeError);
  assert.throws(() => openStore(path.join(tmp, 'bytes'), { verifyIds: 1 as unknown as boolean }), {
    name: 'TypeError', message: 'options.verifyIds must be a boolean, got 1',
  });
});

test('index blocks spill to disk: 150 000 sentences in 75 000 documents round trip', () => {
  const prefix = path.join(tmp, 'spill');
  const w = createStoreWriter(prefix, options(1000));
  for (let d = 0; d < 75000; d++) {
    w.appendTokens([d % 1000, (d * 7) % 1000, 5], [d % 3 === 0 ? 0 : 1, d % 3 === 0 ? 3 : 2]);
    w.endDocument();
  }
  w.finish();
  const s = openStore(prefix);
  assert.equal(s.numSentences, 150000);
  assert.equal(s.numDocuments, 75000);
  for (const d of [0, 1, 65535, 65536, 74999]) {
    assert.equal(s.documentIndex[d], 2 * d);
    const out = new Int32Array(3);
    s.readTokens(s.documentTokenStarts[d], 3, out);
    assert.deepEqual(Array.from(out), [d % 1000, (d * 7) % 1000, 5]);
    assert.equal(s.readSentenceLengths(2 * d, 1)[0], d % 3 === 0 ? 0 : 1);
  }
  s.close();
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes('.tmp')), []);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CORPUS_ID, defaultCorpus, defaultCorpusCachePrefix, ingestDefaultCorpus, openStore } from 'maskpack';
import { progressLine } from '../src/cli/progress.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-corpus-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

test('the default corpus: 233 State of the Union addresses in year order', async () => {
  const ids: string[] = [];
  let bytes = 0;
  for await (const doc of defaultCorpus()) {
    ids.push(doc.id);
    bytes += Buffer.byteLength(doc.text);
  }
  assert.equal(ids.length, 233);
  assert.equal(ids[0], '1790_george_washington_n');
  assert.deepEqual(ids, ids.slice().sort());
  assert.ok(bytes > 10e6 && bytes < 11e6, `${bytes} bytes`);
  assert.match(defaultCorpusCachePrefix(), /[/\\]\.cache[/\\]sotu-roberta-gpt2$/);
});

test('ingestDefaultCorpus builds the store once, then reuses it', async () => {
  const out = path.join(tmp, 'sotu');
  assert.equal(await ingestDefaultCorpus({ out, workers: 2 }), out);
  const s = openStore(out);
  assert.deepEqual([s.numDocuments, s.numSentences, s.numTokens], [233, 62418, 2074279]);
  assert.equal((s.manifest.provenance as { corpus: string }).corpus, DEFAULT_CORPUS_ID);
  s.close();
  const mtime = fs.statSync(`${out}.bin`).mtimeMs;
  const t0 = performance.now();
  await ingestDefaultCorpus({ out });
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(fs.statSync(`${out}.bin`).mtimeMs, mtime);
});

test('the progress line shows bytes, documents, tokens, MB/s and ETA', () => {
  const line = progressLine({ bytes: 5e6, totalBytes: 20e6, documents: 1234, tokens: 2_500_000, seconds: 2 }, 10);
  assert.equal(line, '[###.......]  25% 5.0/20.0 MB · 1.2K docs · 2.50M tokens · 2.5 MB/s · ETA 6s');
  assert.equal(progressLine({ bytes: 1e6, totalBytes: undefined, documents: 1, tokens: 10, seconds: 1 }), '1.0 MB · 1 docs · 10 tokens · 1.0 MB/s');
});

// Stores of any size: the streaming path (each batch's spans read from the files) gives the same
// bytes as the in-memory path for every format, template and masking option, for ranks, resume
// and any number of workers; flat offsets past 2^32 work end to end; and no id outside the
// vocabulary ever reaches a batch, whichever path, even when the files change after opening.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  Collator, collateMaskReference, createLoader, createMemoryStore, createSampler, createStoreWriter, FORMAT_NAMES, MaskpackError,
  openStore, planBatch, robertaSpecials, type Batch, type LoaderOptions, type PaddedDenseLoaderOptions, type SpecialTokens, type TokenStore,
} from 'maskpack';
import { bertSpecials, syntheticDocuments, type Documents } from './helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-access-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** A store on disk holding `documents`, with word starts (every id divisible by 3 starts a word). */
function fileStore(name: string, documents: Documents, vocabSize: number, specials: SpecialTokens): string {
  const prefix = path.join(tmp, name);
  const table = Uint8Array.from({ length: vocabSize }, (_, id) => (id % 3 === 0 ? 1 : 0));
  const w = createStoreWriter(prefix, { vocabSize, specials, tokenizer: { name: 'test', source: 'test', vocabSize }, wordStarts: { rule: 'test', description: 'ids divisible by 3', table } });
  for (const doc of documents) w.addDocument(doc);
  w.finish();
  return prefix;
}

const docs = syntheticDocuments(120, 31, 10, 40);
const roberta = openStore(fileStore('roberta', docs, 50265, robertaSpecials));
const bert = openStore(fileStore('bert', docs, 100, bertSpecials));

async function collect(store: TokenStore, options: PaddedDenseLoaderOptions): Promise<Batch[]> {
  const loader = createLoader(store, { seqLen: 64, batchSize: 8, seed: 9, epochs: 2, ...options });
  const out: Batch[] = [];
  for await (const b of loader) out.push(b);
  await loader.close();
  return out;
}

function assertSame(a: Batch[], b: Batch[], what: string): void {
  assert.equal(a.length, b.length, `${what}: batches`);
  assert.ok(a.length > 0, `${what}: some batches`);
  a.forEach((x, i) => {
    for (const k of ['inputIds', 'labels', 'attentionMask', 'tokenTypeIds', 'nextSentenceLabel', 'sampleIds'] as const) {
      assert.deepEqual(x[k], b[i][k], `${what}: batch ${i} ${k}`);
    }
  });
}

test('streaming equals loading the store, for every format, both templates, whole-word, exact and static masking', async () => {
  const variants: [string, PaddedDenseLoaderOptions][] = [
    ['default', {}],
    ['whole words, exact selection', { wholeWordMask: true, selection: 'exact' }],
    ['static masking', { dupeFactor: 2, epochs: 3 }],
  ];
  for (const [template, store] of [['roberta', roberta], ['bert', bert]] as const) {
    for (const format of FORMAT_NAMES) {
      for (const [name, v] of variants) {
        const options: PaddedDenseLoaderOptions = { format, template, workers: 0, ...v };
        const memory = await collect(store, { ...options, storeAccess: 'memory' });
        const stream = await collect(store, { ...options, storeAccess: 'stream' });
        assertSame(stream, memory, `${format} ${template} ${name}`);
      }
    }
  }
});

test('streaming in 1 and 2 workers, for ranks and after a resume, gives the in-memory bytes', async () => {
  for (const format of ['full-sentences', 'sentence-pair'] as const) {
    const memory = await collect(roberta, { format, workers: 0, storeAccess: 'memory' });
    for (const workers of [1, 2]) assertSame(await collect(roberta, { format, workers, storeAccess: 'stream' }), memory, `${format}, ${workers} workers`);
    // Two ranks: each rank's rows are its contiguous share of every global batch.
    const ranks = await Promise.all([0, 1].map((rank) => collect(roberta, { format, workers: 1, storeAccess: 'stream', rank, worldSize: 2, batchBy: 'count' })));
    const global = await collect(roberta, { format, workers: 0, storeAccess: 'memory', batchBy: 'count' });
    global.forEach((g, i) => {
      const width = g.shape[1];
      const joined = new Int32Array([...ranks[0][i].inputIds, ...ranks[1][i].inputIds]);
      assert.equal(ranks[0][i].shape[1], width);
      assert.deepEqual(joined, g.inputIds, `${format}: global batch ${i} from two ranks`);
    });
    // Resume in the middle of the second epoch, on the streaming path with 2 workers.
    const loader = createLoader(roberta, { seqLen: 64, batchSize: 8, seed: 9, epochs: 2, format, workers: 0, storeAccess: 'memory' });
    const half = Math.floor(memory.length * 0.7);
    for (let k = 0; k < half; k++) await loader.next();
    const state = loader.state();
    await loader.close();
    const rest = await collect(roberta, { format, workers: 2, storeAccess: 'stream', resume: state, epoch: 0 });
    assertSame(rest, memory.slice(half), `${format}: resumed`);
  }
});

test('a memory store streams from shared memory in workers, the same bytes', async () => {
  const store = createMemoryStore({ documents: docs, vocabSize: 50265, specials: robertaSpecials });
  assertSame(await collect(store, { workers: 2, storeAccess: 'stream' }), await collect(store, { workers: 0, storeAccess: 'memory' }), 'memory store');
});

test('storeAccess is validated, and auto loads small stores', () => {
  assert.throws(() => createLoader(roberta, { storeAccess: 'disk' as never }), { name: 'RangeError', message: /options\.storeAccess must be one of auto, memory, stream, got "disk"/ });
  const custom: TokenStore = { ...roberta, source: undefined, readTokens: roberta.readTokens.bind(roberta), readBytes: roberta.readBytes.bind(roberta), readSentenceLengths: roberta.readSentenceLengths.bind(roberta) };
  assert.throws(() => createLoader(custom, { storeAccess: 'stream', workers: 1 }), /storeAccess 'stream' with workers needs stores that worker threads can read/);
  assert.equal(createLoader(roberta, { workers: 0 }).storeAccess, 'memory');
  assert.equal(createLoader(custom, { storeAccess: 'stream', workers: 0 }).storeAccess, 'stream');
});

/**
 * A store of 4.5 billion tokens that exist only as a function of their position (nothing is
 * held): id = 4 + (position mod 89). Its sentences are few and huge (a 10-token one opens the
 * second document, so a row crosses the document boundary), so a full-sentences epoch at seqLen
 * 65536 has ~69 000 samples.
 */
function virtualStore(): TokenStore {
  const lengths = [1_500_000_000, 10, 1_500_000_000, 1_500_000_000];
  const numTokens = lengths.reduce((a, b) => a + b, 0);
  const idAt = (t: number): number => 4 + (t % 89);
  return {
    prefix: '', dtype: 'int32', vocabSize: 50265, specials: robertaSpecials, wordStarts: undefined,
    numDocuments: 2, numSentences: 4, numTokens,
    documentIndex: Int32Array.of(0, 1, 4),
    documentTokenStarts: Float64Array.of(0, lengths[0], numTokens),
    readSentenceLengths(first, count, out) {
      const target = out ? out.subarray(0, count) : new Int32Array(count);
      target.set(lengths.slice(first, first + count));
      return target;
    },
    readTokens(start, count, out, offset = 0) {
      for (let i = 0; i < count; i++) out[offset + i] = idAt(start + i);
    },
    readBytes(position, target) {
      const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
      for (let i = 0; i < target.length; i += 4) view.setInt32(i, idAt(position / 4 + i / 4), true);
    },
    close() {},
  };
}

test('flat offsets past 2^32 work end to end: sample index, row plans, streamed spans, kernel', async () => {
  const store = virtualStore();
  const options = { format: 'full-sentences' as const, seqLen: 65536, batchSize: 2, seed: 4 };
  const sampler = createSampler(store, options);
  const index = sampler.index(0);
  assert.equal(index.kind, 'single');
  const starts = index.kind === 'single' ? index.tokenStart : new Float64Array();
  assert.ok(starts[starts.length - 2] > 2 ** 32, 'samples start past 2^32');
  const collator = new Collator(store, { seed: 4 }, { storeAccess: 'stream' });
  assert.equal(collator.storeAccess, 'stream');
  assert.throws(() => new Collator(store, {}, { storeAccess: 'memory' }), /4 GiB WebAssembly memory/);
  // The batches holding the last rows of the store (past 2^32), and one with the document boundary.
  const boundary = Array.from(starts).findIndex((t, i) => t < 1_500_000_000 && starts[i + 1] > 1_500_000_000);
  const wanted = new Set([boundary, index.numSamples - 1, index.numSamples - 2]);
  const loader = createLoader(store, { ...options, workers: 0, storeAccess: 'stream' });
  const checked = new Set<number>();
  for (let b = 0; b < sampler.numBatches(0) && checked.size < wanted.size; b++) {
    const batch = sampler.batch(0, b);
    const hits = [...batch.sampleIds].filter((id) => wanted.has(id));
    if (hits.length === 0) continue;
    for (const id of hits) checked.add(id);
    const plan = planBatch(sampler, batch);
    const got = collator.collate(plan);
    const want = collateMaskReference(store, plan, { seed: 4 });
    assert.deepEqual(got.inputIds, want.inputIds, `batch ${b}`);
    assert.deepEqual(got.labels, want.labels, `batch ${b} labels`);
    const r = [...batch.sampleIds].indexOf(boundary);
    if (r >= 0) {
      // <s> rest-of-document-0 </s> the 10 tokens of document 1 …: the separator is where the plan says.
      const at = 1 + (1_500_000_000 - starts[boundary]);
      const labelsOrIds = (i: number) => (want.labels[r * 65536 + i] === -100 ? want.inputIds[r * 65536 + i] : want.labels[r * 65536 + i]);
      assert.equal(labelsOrIds(at), robertaSpecials.eos, 'separator at the document boundary');
      assert.equal(labelsOrIds(at + 1), 4 + (1_500_000_000 % 89), 'document 1 starts after it');
      assert.equal(want.attentionMask[r * 65536 + at + 11], 1, 'and ends with </s> after its 10 tokens');
      assert.equal(labelsOrIds(at + 11), robertaSpecials.eos);
      assert.equal(want.attentionMask[r * 65536 + at + 12], 0, "padding after the row");
    }
  }
  assert.equal(checked.size, 3);
  // The loader's own path reaches the same first batch.
  const first = (await loader.next()).value as Batch;
  assert.deepEqual(first.inputIds, collator.collate(planBatch(sampler, sampler.batch(0, 0))).inputIds);
  await loader.close();
});

test('an id outside the vocabulary never reaches a batch: .bin rewritten after opening, on both paths', async () => {
  const prefix = fileStore('rewritten', docs, 50265, robertaSpecials);
  const store = openStore(prefix);
  const bad = 1234;
  const fd = fs.openSync(`${prefix}.bin`, 'r+');
  fs.writeSync(fd, Buffer.from(Uint16Array.of(60000).buffer), 0, 2, 2 * bad);
  fs.closeSync(fd);
  const message = new RegExp(`${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.bin: token\\[${bad}\\] is 60000, not below the vocabulary size 50265`);
  assert.throws(() => createLoader(store, { seqLen: 64, workers: 0, storeAccess: 'memory' }), (e: unknown) => e instanceof MaskpackError && e.code === 'ERR_STORE_CORRUPT' && message.test(e.message));
  for (const workers of [0, 1]) {
    const loader = createLoader(store, { seqLen: 64, batchSize: 8, seed: 1, workers, storeAccess: 'stream' });
    let delivered = 0;
    await assert.rejects(async () => {
      for await (const b of loader) {
        assert.ok(b.inputIds.every((id) => id >= 0 && id < 50265) && b.labels.every((id) => id === -100 || (id >= 0 && id < 50265)));
        delivered++;
      }
    }, (e: unknown) => e instanceof MaskpackError && e.code === 'ERR_STORE_CORRUPT' && message.test(e.message));
    assert.ok(delivered > 0, 'batches before the bad one are delivered');
    await loader.close();
  }
  store.close();
});

test('a negative id in an int32 store is refused even without the open-time scan', async () => {
  const prefix = fileStore('negative', [[[70, 71, 72], [73, 74]], [[75, 76]]], 70000, robertaSpecials);
  const fd = fs.openSync(`${prefix}.bin`, 'r+');
  fs.writeSync(fd, Buffer.from(Int32Array.of(-1).buffer), 0, 4, 4 * 3);
  fs.closeSync(fd);
  const store = openStore(prefix, { verifyIds: false });
  const corrupt = (e: unknown) => e instanceof MaskpackError && e.code === 'ERR_STORE_CORRUPT' && /token\[3\] is -1, not below the vocabulary size 70000/.test(e.message);
  assert.throws(() => createLoader(store, { seqLen: 16, workers: 0, storeAccess: 'memory' }), corrupt);
  const loader = createLoader(store, { seqLen: 16, batchSize: 4, workers: 1, storeAccess: 'stream' });
  await assert.rejects(loader.next(), corrupt);
  await loader.close();
  store.close();
});

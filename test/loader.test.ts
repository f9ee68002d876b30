// The parallel loader: same bytes for any number of workers, sampler order, transfer instead of
// copy, resume, bounded prefetch, and failures that reject instead of hanging.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Collator, createLoader, planBatch, createMemoryStore, createSampler, MaskpackError, robertaSpecials, type Batch, type LoaderOptions, type PaddedDenseLoaderOptions } from 'maskpack';
import { syntheticDocuments } from './helpers.js';

const store = createMemoryStore({ documents: syntheticDocuments(300, 11, 12, 40), vocabSize: 50265, specials: robertaSpecials });
const base: PaddedDenseLoaderOptions = { seqLen: 128, batchSize: 16, seed: 5 };

async function collect(options: PaddedDenseLoaderOptions, limit = Infinity): Promise<Batch[]> {
  const loader = createLoader(store, { ...base, ...options });
  const out: Batch[] = [];
  for await (const batch of loader) {
    out.push(batch);
    if (out.length >= limit) break;
  }
  await loader.close();
  return out;
}

function assertSame(a: Batch[], b: Batch[]): void {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => {
    assert.deepEqual(x.inputIds, b[i].inputIds, `batch ${i} inputIds`);
    assert.deepEqual(x.labels, b[i].labels, `batch ${i} labels`);
    assert.deepEqual(x.attentionMask, b[i].attentionMask, `batch ${i} attention`);
    assert.deepEqual(x.tokenTypeIds, b[i].tokenTypeIds, `batch ${i} types`);
    assert.deepEqual(x.nextSentenceLabel, b[i].nextSentenceLabel, `batch ${i} nsp`);
    assert.deepEqual(x.sampleIds, b[i].sampleIds, `batch ${i} sample ids`);
  });
}

test('batches are identical for 0, 1 and 2 workers, equal the single-threaded collator, in sampler order, over two epochs', async () => {
  for (const format of ['full-sentences', 'segment-pair'] as const) {
    const inline = await collect({ format, workers: 0, epochs: 2 });
    const sampler = createSampler(store, { ...base, format });
    const collator = new Collator(store, { seed: 5 });
    const direct: Batch[] = [];
    for (let i = 0; i < sampler.numBatches(0) + sampler.numBatches(1); i++) {
      const b = sampler.next();
      direct.push(collator.collate(planBatch(sampler, b), { epoch: b.epoch }));
    }
    assertSame(inline, direct);
    assertSame(await collect({ format, workers: 1, epochs: 2 }), direct);
    assertSame(await collect({ format, workers: 2, epochs: 2, prefetch: 3 }), direct);
  }
});

test('next() calls made without waiting for each other get successive batches, in call order, then done', async () => {
  for (const workers of [0, 2]) {
    const expected = await collect({ workers: 0 });
    const loader = createLoader(store, { ...base, workers });
    const results = await Promise.all(Array.from({ length: expected.length + 2 }, () => loader.next()));
    assertSame(results.slice(0, expected.length).map((r) => r.value as Batch), expected);
    assert.ok(results.slice(0, expected.length).every((r) => !r.done), `workers ${workers}: a batch for every call up to the epoch's end`);
    assert.ok(results.slice(expected.length).every((r) => r.done), `workers ${workers}: done after the epoch`);
    await loader.close();
  }
});

test('batch buffers are moved from the worker, not cloned (the worker-side buffers detach)', async () => {
  const loader = createLoader(store, { ...base, workers: 1, prefetch: 1 });
  const { value } = await loader.next();
  const batch = value as Batch;
  assert.ok(!(batch.inputIds.buffer instanceof SharedArrayBuffer));
  const lengths = await loader.lastTransfer();
  assert.ok(lengths.length >= 4, 'the worker reports the buffers it sent');
  assert.ok(lengths.every((n) => n === 0), `worker-side byte lengths after the move: ${lengths}`);
  assert.equal(batch.inputIds.byteLength, batch.shape[0] * batch.shape[1] * 4);
  await loader.close();
});

test('recycled batches give identical later batches, and their buffers are moved away (detached)', async () => {
  for (const workers of [0, 1, 2]) {
    const fresh = await collect({ workers, epochs: 2 });
    const loader = createLoader(store, { ...base, workers, epochs: 2 });
    const got: Batch[] = [];
    const given: Batch[] = [];
    for await (const batch of loader) {
      got.push({ ...batch, inputIds: batch.inputIds.slice(), labels: batch.labels.slice(), attentionMask: batch.attentionMask.slice() });
      loader.recycle(batch);
      given.push(batch);
    }
    // Every batch given back was written again, except the last few (no batch was left to plan).
    const reused = given.filter((b) => b.inputIds.buffer.byteLength === 0).length;
    assert.ok(reused >= given.length - loader.options.prefetch - 1, `workers ${workers}: ${reused} of ${given.length} recycled`);
    assertSame(got, fresh);
    assert.throws(() => loader.recycle(got[0] && { ...got[0], inputIds: new Int32Array(new SharedArrayBuffer(8)) }), /attached, non-shared ArrayBuffer/);
  }
});

test('recycle() of a batch whose arrays share one ArrayBuffer throws TypeError and leaves the loader working', async () => {
  for (const workers of [0, 1]) {
    const fresh = await collect({ workers, epochs: 1 });
    const loader = createLoader(store, { ...base, workers, epochs: 1 });
    const got: Batch[] = [];
    for await (const batch of loader) {
      got.push(batch);
      const n = batch.inputIds.length;
      const one = new ArrayBuffer(3 * n * 4);
      const shared = {
        ...batch,
        inputIds: new Int32Array(one, 0, n), attentionMask: new Int32Array(one, n * 4, n), labels: new Int32Array(one, 2 * n * 4, n),
      };
      assert.throws(() => loader.recycle(shared), { name: 'TypeError', message: /each have their own attached, non-shared ArrayBuffer/ });
    }
    assertSame(got, fresh);
  }
});

test('resuming from state() continues exactly where the loader stopped, on any number of workers', async () => {
  const whole = await collect({ workers: 2, epochs: 2 });
  const first = createLoader(store, { ...base, workers: 2, epochs: 2 });
  const head: Batch[] = [];
  for (let i = 0; i < 7; i++) head.push((await first.next()).value as Batch);
  const state = first.state();
  assert.equal(state.batchIndex, 7);
  await first.close();
  assert.deepEqual(first.state(), state, 'closing drops the prefetched batches, not their place in the resume state');
  const rest = await collect({ workers: 1, epochs: 2, resume: JSON.parse(JSON.stringify(state)) });
  assertSame([...head, ...rest], whole);
});

test('a kernel error rejects next() with the batch and the worker message, and later calls reject too', async () => {
  const loader = createLoader(store, { ...base, workers: 2, testFault: { batchIndex: 2, kind: 'throw' } });
  await loader.next();
  await loader.next();
  await assert.rejects(loader.next(), (e: unknown) => e instanceof MaskpackError && /batch 2 of epoch 0: injected fault at batch 2/.test(e.message));
  await assert.rejects(loader.next(), /batch 2 of epoch 0/);
  await loader.close();
});

test('a batch whose job cannot be prepared fails in its turn, and the calls after it reject instead of hanging', async () => {
  const loader = createLoader(store, { ...base, workers: 1, epochs: 2 });
  const first = await loader.next();
  assert.equal(first.done, false);
  // The sample indexes a worker lacks are gathered when a batch is submitted (here: from epoch 1 on).
  const original = (loader as unknown as { missingIndexes(s: unknown, b: { epoch: number }): unknown }).missingIndexes.bind(loader);
  (loader as unknown as { missingIndexes(s: unknown, b: { epoch: number }): unknown }).missingIndexes = (s, b) => {
    if (b.epoch === 1) throw new RangeError('Array buffer allocation failed');
    return original(s, b);
  };
  const results = await Promise.allSettled(Array.from({ length: 40 }, () => loader.next()));
  const failed = results.findIndex((r) => r.status === 'rejected');
  assert.ok(failed >= 0, 'a batch of epoch 1 fails');
  for (const r of results.slice(failed)) {
    assert.equal(r.status, 'rejected');
    assert.match(String((r as PromiseRejectedResult).reason), /batch 0 of epoch 1: could not prepare the job: Array buffer allocation failed/);
  }
  await loader.close();
});

test('a crashed worker rejects the pending next() instead of hanging', async () => {
  const loader = createLoader(store, { ...base, workers: 1, testFault: { batchIndex: 1, kind: 'exit' } });
  await loader.next();
  await assert.rejects(loader.next(), (e: unknown) => e instanceof MaskpackError && e.code === 'ERR_WORKER' && /batch 1 of epoch 0: worker failed/.test(e.message));
  await loader.close();
});

test('close() in the middle of an epoch frees the workers; next() then reports done', async () => {
  const loader = createLoader(store, { ...base, workers: 2 });
  await loader.next();
  await loader.close();
  assert.deepEqual(await loader.next(), { value: undefined, done: true });
});

test('close() during start-up, or with a worker that never got a batch, settles and stops the workers', { timeout: 30_000 }, async () => {
  await createLoader(store, { ...base, workers: 2 }).close();
  const one = createLoader(store, { ...base, workers: 2, prefetch: 1 });
  assert.ok((await one.next()).value);
  await one.close();
  assert.deepEqual(await one.next(), { value: undefined, done: true });
});

test('a loader abandoned mid-epoch, or read to the end without close(), does not keep the process alive', () => {
  const script = `
    import { createLoader, createMemoryStore, robertaSpecials } from 'maskpack';
    const documents = [Array.from({ length: 40 }, (_, s) => Int32Array.from({ length: 30 }, (_, i) => 4 + ((s * 31 + i) % 500)))];
    const store = createMemoryStore({ documents, vocabSize: 50265, specials: robertaSpecials });
    const abandoned = createLoader(store, { seqLen: 64, batchSize: 2, workers: 2 });
    await abandoned.next();
    let n = 0;
    for await (const batch of createLoader(store, { seqLen: 64, batchSize: 4, workers: 1 })) n += batch.shape[0];
    console.log('rows', n);
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000, cwd: process.cwd() });
  assert.equal(child.signal, null, `the process was killed after 30 s (it hung): ${child.stderr}`);
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /rows \d+/);
});

test('with a slow consumer at most `prefetch` batches exist and memory stays flat over an epoch', async () => {
  const prefetch = 2;
  const loader = createLoader(store, { ...base, batchSize: 8, workers: 2, prefetch, pad: 'max' });
  const batchBytes = 8 * 128 * 4 * 4;
  const samples: number[] = [];
  let n = 0;
  for await (const batch of loader) {
    assert.ok(batch.inputIds.length > 0);
    await sleep(2);
    if (++n % 5 === 0) {
      global.gc?.();
      samples.push(process.memoryUsage().arrayBuffers);
    }
  }
  assert.ok(n > 40, `${n} batches`);
  const growth = Math.max(...samples.slice(2)) - samples[1];
  assert.ok(growth < (prefetch + 6) * batchBytes + (1 << 20), `array buffers grew by ${growth} bytes over the epoch`);
});

test('loader options are validated with the option name and value', () => {
  const table: [LoaderOptions, RegExp][] = [
    [{ workers: -1 }, /options.workers must be an integer in \[0, 256\], got -1/],
    [{ prefetch: 0 }, /options.prefetch must be an integer in \[1, 4096\], got 0/],
    [{ epochs: 0 }, /options.epochs must be an integer/],
    [{ tier: 'gpu' as 'simd' }, /options.tier must be one of simd, scalar/],
    [{ maskProb: 2 }, /options.maskProb must be in \[0, 1\], got 2/],
    [{ wholeWordMask: true }, /needs word-start information/],
    [{ batchsize: 3 } as LoaderOptions, /options.batchsize is not a known option/],
  ];
  for (const [options, message] of table) assert.throws(() => createLoader(store, { ...base, ...options }), message);
});

// Option errors say, as data, which options they are about; a defect of the store is not one of them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  createLoader, createMemoryStore, createSampler, createStoreWriter, createTrainer, isOptionError, MaskpackError, openStore,
  resolveTrainJobOptions, robertaSpecials, runTraining, type OptionError,
} from 'maskpack';
import { syntheticDocuments } from './helpers.js';

const store = createMemoryStore({ documents: syntheticDocuments(10, 1), vocabSize: 50265, specials: robertaSpecials });
const flag = (p: string): string => `--${p.replace(/[A-Z.]/g, (c) => (c === '.' ? '-' : `-${c.toLowerCase()}`))}`;

/** The option error `f` throws (or rejects with). */
async function optionErrorOf(f: () => unknown): Promise<OptionError> {
  try {
    await f();
  } catch (err) {
    assert.ok(isOptionError(err), `an option error: ${String(err)}`);
    return err;
  }
  throw new Error('no error');
}

test('every option check names its options as data, and the message can be worded with other names', async () => {
  const table: [() => unknown, string[], string, string][] = [
    [() => createSampler(store, { seqLen: 4 }), ['seqLen'], 'RangeError', '--seq-len must be an integer in [8, 65536], got 4'],
    [() => createSampler(store, { batchSize: 2, worldSize: 4 }), ['batchSize', 'worldSize'], 'RangeError', '--batch-size must be >= --world-size (4), got 2'],
    [() => createSampler(store, { format: 7 as never }), ['format'], 'TypeError', '--format must be one of full-sentences, doc-sentences, segment-pair, sentence-pair, got 7'],
    [() => createLoader(store, { maskReplaceProb: 0.9, randomReplaceProb: 0.2 }), ['maskReplaceProb', 'randomReplaceProb'], 'RangeError', '--mask-replace-prob + --random-replace-prob must be at most 1, got 0.9 + 0.2'],
    [() => createLoader(store, { prefetch: 0, workers: 0 }), ['prefetch'], 'RangeError', '--prefetch must be an integer in [1, 4096], got 0'],
    [() => createLoader(store, { wholeWordMask: true }), ['wholeWordMask'], 'RangeError', '--whole-word-mask needs word-start information, and the store has none'],
    [() => createLoader(store, { spanP: 0.3 }), ['spanP', 'spanMask'], 'RangeError', '--span-p needs --span-mask'],
    [() => createLoader(store, { spanMask: true, spanMaxLength: 0 }), ['spanMaxLength'], 'RangeError', '--span-max-length must be an integer in [1, 256], got 0'],
    [() => createLoader(store, { maxPredictions: 0 }), ['maxPredictions'], 'RangeError', '--max-predictions must be an integer in [1, 1048576], got 0'],
    [() => createLoader(store, { bogus: 1 } as never), ['bogus'], 'TypeError', '--bogus is not a known option (known: maskProb, maskReplaceProb, randomReplaceProb, randomIdRange, ignoreIndex, selection, wholeWordMask, dupeFactor, spanMask, spanP, spanMaxLength, maxPredictions, format, seqLen, template, seed, epoch, batchSize, batchBy, tokenBudget, countPadding, pad, padToMultipleOf, dropLast, rank, worldSize, cache, workers, prefetch, epochs, tier, storeAccess, mixAlpha, mixEpochSamples, resume, testFault, layout, labels)'],
    [() => createTrainer({ model: { hidden: 30, heads: 4 } }), ['model.heads', 'model.hidden'], 'RangeError', '--model-heads must divide --model-hidden (30), got 4'],
    [() => createTrainer({ model: { layers: 65 } }), ['model.layers'], 'RangeError', '--model-layers must be an integer in [0, 64], got 65'],
    [() => createTrainer({ model: { hidden: 4096, ffn: 16384, layers: 16, heads: 16 } }), ['model'], 'RangeError',
      '--model must have at most 268,435,456 parameters (4 GiB of float32 weights, gradients and AdamW moments), got 3,445,335,129 (vocabulary 50265, width 4096, 16 layers, ffn 16384, 128 positions)'],
    [() => createTrainer({ threads: 257 }), ['threads'], 'RangeError', '--threads must be an integer in [1, 256], got 257'],
    [() => createTrainer({ totalSteps: 10, warmupSteps: 11 }), ['warmupSteps', 'totalSteps'], 'RangeError', '--warmup-steps must be at most --total-steps (10), got 11'],
    [() => resolveTrainJobOptions(store, { accumulation: 1025 }), ['accumulation'], 'RangeError', '--accumulation must be an integer in [1, 1024], got 1025'],
    [() => resolveTrainJobOptions(store, { steps: 1_000_001 }), ['steps'], 'RangeError', '--steps must be an integer in [1, 1000000], got 1000001'],
    [() => resolveTrainJobOptions(store, { evalBatches: 0 }), ['evalBatches'], 'RangeError', '--eval-batches must be an integer in [1, 1024], got 0'],
    [() => resolveTrainJobOptions(store, { loader: { seed: 2 ** 32 } }), ['seed'], 'RangeError', '--seed must be an integer in [0, 4294967295], got 4294967296'],
    [() => resolveTrainJobOptions(store, { loader: { layout: 'packed' } }), ['layout'], 'RangeError', '--layout is not supported by training (the built-in model takes padded batches with dense labels), got "packed"'],
    [() => resolveTrainJobOptions(store, { loader: { maxPredictions: 129 } }), ['maxPredictions', 'seqLen'], 'RangeError', '--max-predictions must be at most --seq-len (128): a row holds at most that many tokens, got 129'],
  ];
  for (const [f, options, name, worded] of table) {
    const err = await optionErrorOf(f);
    assert.equal(err.name, name, worded);
    assert.deepEqual(err.options, options, worded);
    assert.equal(err.option, options[0]);
    assert.equal(err.messageWith(flag), worded);
    assert.equal(err.message, err.messageWith((p) => `options.${p}`), 'the message names them options.<path>');
  }
  const trainer = await createTrainer({ model: { vocabSize: 16, hidden: 8, layers: 1, heads: 2, ffn: 8, maxPositions: 8 } });
  try {
    const err = await optionErrorOf(() => runTraining({ trainer, batches: [], steps: 1, accumulation: 2000 }));
    assert.equal(err.messageWith(flag), '--accumulation must be an integer in [1, 1024], got 2000');
  } finally {
    await trainer.close();
  }
});

test('training takes maxPredictions (the masker caps each row) into its loader and its held-out evaluation', () => {
  const job = resolveTrainJobOptions(store, { loader: { maxPredictions: 5 } });
  assert.equal(job.loader.maxPredictions, 5);
  assert.equal(job.evaluation.maxPredictions, 5);
});

test('a bad value is quoted only by a bounded prefix', () => {
  const huge = 'x'.repeat(10_000_000);
  assert.throws(() => createSampler(store, { format: huge as never }), (err: Error) => {
    assert.ok(err.message.length < 250, `${err.message.length} characters`);
    assert.match(err.message, /^options\.format must be one of .*, got "x{64}"… \(10000000 characters\)$/);
    return true;
  });
});

test('a store that gives more special ids than the masker takes is ERR_STORE_CORRUPT: from openStore on the manifest, from the loader for other stores', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-defect-'));
  try {
    const prefix = path.join(dir, 's');
    const all = Array.from({ length: 70 }, (_, i) => i);
    const specials = { bos: 0, pad: 1, eos: 2, unk: 3, cls: 0, sep: 2, mask: 4, all };
    const w = createStoreWriter(prefix, { vocabSize: 100, specials, tokenizer: { name: 'test', source: 'test', vocabSize: 100 } });
    w.addDocument([[80, 81, 82], [90, 91]]);
    w.finish();
    assert.throws(() => openStore(prefix), (err: unknown) => {
      assert.ok(err instanceof MaskpackError && !isOptionError(err));
      assert.equal(err.code, 'ERR_STORE_CORRUPT');
      assert.match(err.message, /s\.json: specialTokens\.all holds 69 ids besides the mask id, more than maskpack supports \(63\)/);
      return true;
    });
    const memory = createMemoryStore({ documents: [[[80, 81]]], vocabSize: 100, specials });
    assert.throws(() => createLoader(memory, { workers: 0 }), (err: unknown) => {
      assert.ok(err instanceof MaskpackError && !isOptionError(err));
      assert.equal(err.code, 'ERR_STORE_CORRUPT');
      assert.match(err.message, /the store: the store's specialIds must hold at most 63 ids besides maskId, got 69/);
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Batch forms: packed rows and sparse labels are the padded dense batch rearranged, never
// re-masked. For the same options and seed the packed batch is the padded batch with the padding
// removed, and the sparse lists name exactly the positions whose dense label is not ignored, on
// every format and template, with whole-word, span and static masking and the prediction cap, in
// both kernel tiers, in the calling thread and in workers, into fresh and into given-back buffers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Collator, createLoader, createMemoryStore, createSampler, FORMAT_NAMES, MaskpackError, planBatch, robertaSpecials,
  type AnyBatch, type Batch, type LoaderOptions, type TokenStore,
} from 'maskpack';
import { fixedPredictions } from '../src/collate/form.js';
import { bertSpecials, syntheticDocuments } from './helpers.js';
import { expectedForm, mostSelections, plain, rowLengths } from './helpers/forms.js';

const wordStarts = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
const stores = {
  roberta: createMemoryStore({ documents: syntheticDocuments(30, 41, 10, 30), vocabSize: 50265, specials: robertaSpecials, wordStarts: wordStarts(50265) }),
  bert: createMemoryStore({ documents: syntheticDocuments(30, 43, 10, 30), vocabSize: 100, specials: bertSpecials, wordStarts: wordStarts(100) }),
};
const FORMS = [
  { layout: 'packed' },
  { labels: 'sparse' },
  { layout: 'packed', labels: 'sparse' },
] as const;
const MASKING = [
  ['dynamic', { maskProb: 0.3 }],
  ['whole-word, exact', { wholeWordMask: true, selection: 'exact', maskProb: 0.25 }],
  ['static (dupeFactor 2)', { dupeFactor: 2 }],
  ['span (words)', { spanMask: true, maskProb: 0.3 }],
  ['span (words), exact, static', { spanMask: true, selection: 'exact', maskProb: 0.3, dupeFactor: 2 }],
] as const;

function each(store: TokenStore, format: (typeof FORMAT_NAMES)[number], template: 'roberta' | 'bert', epoch: number, f: (plan: ReturnType<typeof planBatch>, e: number) => void): void {
  const sampler = createSampler(store, { format, template, seqLen: 40, batchSize: 6, seed: 4, epoch });
  for (let i = 0; i < sampler.numBatches(epoch); i++) {
    const b = sampler.next();
    f(planBatch(sampler, b), b.epoch);
  }
}

for (const format of FORMAT_NAMES) {
  test(`${format}: every form is the padded dense batch rearranged (both templates, five maskings with span masking, both tiers)`, () => {
    let batches = 0;
    for (const template of ['roberta', 'bert'] as const) {
      const store = stores[template];
      for (const [what, mask] of MASKING) {
        const base = { seed: 4, ...mask };
        const padded = new Collator(store, base);
        const forms = FORMS.map((form) => ['simd', 'scalar'].map((tier) => new Collator(store, { ...base, ...form }, { tier: tier as 'simd' | 'scalar' })));
        for (const epoch of [1, 3]) {
          each(store, format, template, epoch, (plan, e) => {
            const want = padded.collate(plan, { epoch: e });
            FORMS.forEach((form, k) => {
              for (const c of forms[k]) {
                assert.deepEqual(plain(c.collate(plan, { epoch: e })), expectedForm(want, form), `${format}/${template}/${what} epoch ${e}: ${JSON.stringify(form)} (${c.tier})`);
              }
            });
            // The [B, N] form: N the batch's most selections (no padding slot in that row), and N + 3.
            const most = mostSelections(want);
            for (const N of [Math.max(1, most), most + 3]) {
              for (const layout of ['padded', 'packed'] as const) {
                const form = { layout, labels: 'sparse', maxPredictions: N } as const;
                assert.deepEqual(plain(new Collator(store, { ...base, ...form }).collate(plan, { epoch: e })), expectedForm(want, form), `${format}/${template}/${what}: [B, ${N}] ${layout}`);
              }
            }
            batches++;
          });
        }
      }
    }
    assert.ok(batches > 12, `${batches} batches compared`);
  });
}

test('the [B, N] guard refuses a row with more selections than N, naming the row, its sample and its count', () => {
  // Unreachable through the loader and Collator (the masker caps the selection at N); the guard stays.
  const positions = Int32Array.of(1, 4, 9, 12, 13);
  const ids = Int32Array.of(5, 6, 7, 8, 9);
  assert.throws(() => fixedPredictions(positions, ids, Int32Array.of(0, 2, 5), (r) => r * 8, 2, -100, Uint32Array.of(70, 71)),
    (err: unknown) => err instanceof MaskpackError && err.code === 'ERR_BAD_INPUT' && err.message === 'row 1 (sample 71) has 3 masked positions, more than maxPredictions 2');
  const ok = fixedPredictions(positions, ids, Int32Array.of(0, 2, 5), (r) => r * 8, 3, -100, Uint32Array.of(70, 71));
  assert.deepEqual([...ok.maskedPositions], [1, 4, 0, 1, 4, 5]);
  assert.deepEqual([...ok.maskedIds], [5, 6, -100, 7, 8, 9]);
  assert.deepEqual([...ok.maskedWeights], [1, 1, 0, 1, 1, 1]);
});

test('maxPredictions caps every form alike: the [B, N] lists are the capped dense labels, in workers and in the calling thread', async () => {
  const base = { seqLen: 64, batchSize: 4, seed: 1, maskProb: 0.5, maxPredictions: 2 } as const;
  const uncapped = createLoader(stores.roberta, { ...base, maxPredictions: undefined, workers: 0 });
  const first = (await uncapped.next()).value as Batch;
  await uncapped.close();
  assert.ok(mostSelections(first) > 2, 'without the cap some row selects more than 2');
  const dense = createLoader(stores.roberta, { ...base, workers: 0 });
  const want = (await dense.next()).value as Batch;
  await dense.close();
  assert.ok(mostSelections(want) <= 2 && mostSelections(want) > 0);
  for (const workers of [0, 1]) {
    const loader = createLoader(stores.roberta, { ...base, labels: 'sparse', workers });
    const got = (await loader.next()).value;
    await loader.close();
    assert.deepEqual(plain(got), expectedForm(want, { labels: 'sparse', maxPredictions: 2 }), `workers ${workers}`);
  }
});

test('form options are validated, naming the option', () => {
  const store = stores.roberta;
  assert.throws(() => new Collator(store, { layout: 'flat' as never }), { name: 'RangeError', message: /^options\.layout must be one of 'padded', 'packed'|options\.layout/ });
  assert.throws(() => createLoader(store, { labels: 'some' as never, workers: 0 }), /options\.labels/);
  assert.throws(() => createLoader(store, { labels: 'sparse', maxPredictions: 0, workers: 0 }), { name: 'RangeError', message: /options\.maxPredictions/ });
  assert.throws(() => createLoader(store, { labels: 'sparse', maxPredictions: 2.5, workers: 0 }), /options\.maxPredictions/);
});

async function all(options: LoaderOptions, recycle: boolean): Promise<{ batches: AnyBatch[]; states: string[] }> {
  const loader = createLoader(stores.bert, options);
  const batches: AnyBatch[] = [];
  const states: string[] = [];
  for await (const b of loader) {
    // A copy is kept; the original goes back to be written again (the given-back path, in chunks).
    batches.push(structuredClone(b));
    states.push(JSON.stringify(loader.state()));
    if (recycle) loader.recycle(b);
  }
  return { batches, states };
}

test('loader: workers and the calling thread, fresh and given-back buffers, token budgets and resume give the same forms', async () => {
  for (const format of ['segment-pair', 'doc-sentences'] as const) {
    const base: LoaderOptions = { format, template: 'bert', seqLen: 48, batchSize: 5, seed: 6, epochs: 2, batchBy: 'tokens', tokenBudget: 150, wholeWordMask: true };
    const padded = await all({ ...base, workers: 0 }, false);
    // Rows hold at most seqLen tokens: maxPredictions 48 never refuses one.
    for (const form of [...FORMS, { layout: 'packed', labels: 'sparse', maxPredictions: 48 } as const]) {
      for (const [workers, recycle] of [[0, true], [2, true], [1, false]] as const) {
        const got = await all({ ...base, ...form, workers }, recycle);
        assert.deepEqual(got.states, padded.states, `${format} ${JSON.stringify(form)} workers ${workers}: the same states`);
        assert.equal(got.batches.length, padded.batches.length);
        got.batches.forEach((b, i) => {
          const want = padded.batches[i] as Batch;
          assert.deepEqual(plain(b), expectedForm(want, form), `${format} ${JSON.stringify(form)} workers ${workers} recycle ${recycle}: batch ${i}`);
          if (b.layout === 'packed') assert.equal(b.shape[0], rowLengths(want).reduce((x, y) => x + y, 0), 'T is the real tokens');
        });
      }
      // Resuming a packed, sparse run mid-epoch continues with the same batches.
      const loader = createLoader(stores.bert, { ...base, ...form, workers: 0, resume: JSON.parse(padded.states[2]) });
      let i = 3;
      for await (const b of loader) {
        assert.deepEqual(plain(b), expectedForm(padded.batches[i] as Batch, form), `resumed ${JSON.stringify(form)}: batch ${i}`);
        i++;
      }
      assert.equal(i, padded.batches.length);
    }
  }
});

test('a binding cap with token, whole-word and span masking: every form, in both tiers and in workers, is the capped padded dense batch rearranged', async () => {
  const N = 3;
  const MASKS = [
    ['tokens', {}],
    ['whole words, exact', { wholeWordMask: true, selection: 'exact' }],
    ['span (words)', { spanMask: true }],
    ['span (words), exact', { spanMask: true, selection: 'exact' }],
  ] as const;
  for (const [what, mask] of MASKS) {
    const base: LoaderOptions = { format: 'segment-pair', template: 'bert', seqLen: 40, batchSize: 6, seed: 8, maskProb: 0.4, ...mask };
    const uncapped = await all({ ...base, workers: 0 }, false);
    assert.ok(uncapped.batches.some((b) => mostSelections(b as Batch) > N), `${what}: without the cap some row selects more than ${N}`);
    const capped = await all({ ...base, maxPredictions: N, workers: 0 }, false);
    assert.ok(capped.batches.every((b) => mostSelections(b as Batch) <= N), `${what}: no row over ${N}`);
    assert.ok(capped.batches.some((b) => mostSelections(b as Batch) === N), `${what}: the cap is reached`);
    for (const form of [...FORMS, { layout: 'packed' } as const]) {
      for (const [workers, tier] of [[0, 'simd'], [0, 'scalar'], [2, undefined]] as const) {
        const got = await all({ ...base, ...form, maxPredictions: N, workers, tier }, true);
        assert.equal(got.batches.length, capped.batches.length);
        const expected = { ...form, maxPredictions: 'labels' in form ? N : undefined };
        got.batches.forEach((b, i) => {
          assert.deepEqual(plain(b), expectedForm(capped.batches[i] as Batch, expected), `${what} ${JSON.stringify(form)} workers ${workers} ${tier ?? ''}: batch ${i}`);
        });
      }
    }
  }
});

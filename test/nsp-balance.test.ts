// NSP balance: the share of random B is 50% in expectation for both pair formats, on the SOTU
// corpus and on a mail-like corpus of short documents (where BERT's rule, a random B for every
// one-segment chunk, gives ~62%). Every pair's label is a fresh fair coin flipped when the pair
// is formed, so by Wald's identity E[random] = E[pairs] / 2 although the number of pairs of a
// document depends on the coins; the test holds the pooled count to the exact two-sided 1e-9
// interval of Binomial(pairs, 1/2).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSampleIndex, createMemoryStore, PAIR_FLAG, robertaSpecials, type PairSampleIndex, type TokenStore } from 'maskpack';
import { bertSpecials, binomialHalfInterval, type Documents } from './helpers.js';
import { sotuStore } from './helpers/sotu.js';

const EPOCHS = 5;

/** Short messages: half of them one sentence, the rest two to four; sentences of 2 to 24 tokens. */
function mailLike(numDocuments: number, seed: number): Documents {
  let x = seed >>> 0;
  const next = (n: number): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return Math.floor((x / 2 ** 32) * n);
  };
  return Array.from({ length: numDocuments }, () => {
    const sentences = next(2) === 0 ? 1 : 2 + next(3);
    return Array.from({ length: sentences }, () => Array.from({ length: 2 + next(23) }, () => 4 + next(95)));
  });
}

/** Pairs, random B and one-segment chunks over `EPOCHS` epochs. */
function nspCounts(store: TokenStore, format: 'segment-pair' | 'sentence-pair', template: 'roberta' | 'bert', seqLen: number) {
  let pairs = 0;
  let random = 0;
  let forced = 0;
  let split = 0;
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const index = buildSampleIndex(store, { format, template, seqLen, seed: 17, epoch, cache: false }) as PairSampleIndex;
    pairs += index.numSamples;
    for (const f of index.flags) {
      random += f & PAIR_FLAG.randomNext;
      if (!(f & PAIR_FLAG.coinFlipped)) forced++;
      if (f & PAIR_FLAG.splitSegment) split++;
    }
  }
  return { pairs, random, forced, split };
}

function assertBalanced(what: string, c: ReturnType<typeof nspCounts>): void {
  const [lo, hi] = binomialHalfInterval(c.pairs, 1e-9);
  const share = ((100 * c.random) / c.pairs).toFixed(2);
  assert.ok(c.random >= lo && c.random <= hi, `${what}: ${c.random} random B of ${c.pairs} pairs (${share}%) outside [${lo}, ${hi}]`);
  assert.equal(c.forced, 0, `${what}: no pair took a random B without a coin`);
}

test('SOTU: the share of random B lies in the exact binomial interval of p = 1/2, both pair formats and templates', async () => {
  const store = await sotuStore();
  try {
    for (const format of ['segment-pair', 'sentence-pair'] as const) {
      for (const template of ['roberta', 'bert'] as const) assertBalanced(`SOTU ${format}/${template}`, nspCounts(store, format, template, 512));
    }
  } finally {
    store.close();
  }
});

test('a mail-like corpus of short documents: the share of random B lies in the exact binomial interval of p = 1/2', () => {
  const docs = mailLike(6000, 5);
  for (const [template, specials] of [['roberta', robertaSpecials], ['bert', bertSpecials]] as const) {
    const store = createMemoryStore({ documents: docs, vocabSize: 100, specials });
    for (const format of ['segment-pair', 'sentence-pair'] as const) {
      const c = nspCounts(store, format, template, 128);
      assertBalanced(`mail-like ${format}/${template}`, c);
      assert.ok(c.split > c.pairs / 10, `${format}/${template}: one-sentence messages get real pairs by a split (${c.split} of ${c.pairs})`);
    }
  }
});

test('a document of a single one-token sentence is the one pair whose B is random without a coin', () => {
  const store = createMemoryStore({ documents: [[[7]], [[8, 9, 10]], [[11, 12], [13]]], vocabSize: 100, specials: robertaSpecials });
  let forced = 0;
  for (let seed = 0; seed < 64; seed++) {
    const index = buildSampleIndex(store, { format: 'sentence-pair', seqLen: 16, seed }) as PairSampleIndex;
    for (let i = 0; i < index.numSamples; i++) {
      if (index.flags[i] & PAIR_FLAG.coinFlipped) continue;
      forced++;
      assert.equal(index.flags[i] & PAIR_FLAG.randomNext, PAIR_FLAG.randomNext);
      assert.equal(index.aLength[i], 1);
      assert.ok(index.document[i] === 0 || index.document[i] === 2, 'A is a one-token last sentence');
    }
  }
  assert.ok(forced > 0);
});

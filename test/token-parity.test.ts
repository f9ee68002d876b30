// Token parity (RoBERTa §4.1): with the default token budget, a sentence-pair batch holds as many
// real tokens as a segment-pair batch of the same --batch and --seq-len (and doc-sentences as
// full-sentences), on the SOTU corpus.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSampleIndex, createSampler, type FormatName, type SamplerOptions, type TokenStore } from 'maskpack';
import { sotuStore } from './helpers/sotu.js';

/** Mean real tokens per global batch over epochs 0 to 15 (every batch counted, the last ones too). */
function tokensPerBatch(store: TokenStore, options: SamplerOptions): number {
  const sampler = createSampler(store, { ...options, cache: false });
  let tokens = 0;
  let batches = 0;
  for (let epoch = 0; epoch < 16; epoch++) {
    const rowLength = sampler.index(epoch).rowLength;
    for (let b = 0; b < sampler.numBatches(epoch); b++, batches++) for (const id of sampler.batch(epoch, b).sampleIds) tokens += rowLength[id];
  }
  return tokens / batches;
}

const PAIRS: [FormatName, FormatName][] = [['sentence-pair', 'segment-pair'], ['doc-sentences', 'full-sentences']];

test('SOTU: default budgets give the real tokens per batch of the count-batched counterpart, within 2%', async () => {
  const store = await sotuStore();
  try {
    for (const shape of [{ batchSize: 32, seqLen: 512, template: 'roberta' }, { batchSize: 16, seqLen: 128, template: 'bert' }] as const) {
      for (const [format, counterpart] of PAIRS) {
        const ratio = tokensPerBatch(store, { ...shape, format }) / tokensPerBatch(store, { ...shape, format: counterpart });
        assert.ok(Math.abs(ratio - 1) <= 0.02, `${format} / ${counterpart} at ${JSON.stringify(shape)}: ${ratio.toFixed(4)}`);
      }
    }
  } finally {
    store.close();
  }
});

test('SOTU: the default budget is batchSize × the counterpart\'s mean row + E[L²] / 2E[L] of its own rows; an explicit one is kept', async () => {
  const store = await sotuStore();
  /** Total rows, tokens and squared lengths of `format` over epochs [0, epochs). */
  const moments = (format: FormatName, epochs: number) => {
    const m = { rows: 0, tokens: 0, squares: 0 };
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (const len of buildSampleIndex(store, { format, seqLen: 512, seed: 3, epoch, cache: false }).rowLength) {
        m.rows++;
        m.tokens += len;
        m.squares += len * len;
      }
    }
    return m;
  };
  try {
    for (const [format, counterpart] of PAIRS) {
      // SOTU has 233 documents: segment-pair's mean is pooled over min(8, ceil(2048 / 233)) = 8 epochs.
      const target = moments(counterpart, format === 'sentence-pair' ? 8 : 1);
      const own = moments(format, 1);
      const s = createSampler(store, { format, seed: 3, cache: false });
      assert.equal(s.options.tokenBudget, Math.round((32 * target.tokens) / target.rows + own.squares / (2 * own.tokens)), format);
      assert.ok(s.options.tokenBudget < 32 * 512);
      assert.equal(createSampler(store, { format, tokenBudget: 9000, cache: false }).options.tokenBudget, 9000);
      assert.equal(createSampler(store, { format, countPadding: true, cache: false }).options.tokenBudget, 32 * 512, 'padded budgets keep batch × seq-len');
    }
  } finally {
    store.close();
  }
});

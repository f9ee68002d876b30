/**
 * The fused collate + mask path in one thread: store in memory → sampler batch → row plan →
 * masked 256 × 512 full-sentences batch (`collate.fullSentences`, tokens/s of the padded batch).
 * Runs in the same process as `mask.simd`, so the two compare side by side.
 */
import { Collator } from '../src/collate/collator.js';
import { createSampler } from '../src/sampler/index.js';
import { runSuite, syntheticStore, type BenchOptions, type Metrics } from './util.js';

export async function run(opts: BenchOptions): Promise<Metrics> {
  const store = syntheticStore(opts.quick ? 3000 : 12000);
  const sampler = createSampler(store, { format: 'full-sentences', seqLen: 512, batchSize: 256, pad: 'max' });
  const collator = new Collator(store);
  const scalar = new Collator(store, {}, { tier: 'scalar' });
  const batches = sampler.numBatches(0) - 1;
  let i = 0;
  let j = 0;
  return runSuite('collate + mask, full-sentences 256 × 512', [
    { name: 'collate.fullSentences', unitsPerOp: 256 * 512, unit: 'tok/s', fn: () => collator.collate(sampler.plan(sampler.batch(0, i++ % batches))) },
    { name: 'collate.fullSentences.scalar', unitsPerOp: 256 * 512, unit: 'tok/s', fn: () => scalar.collate(sampler.plan(sampler.batch(0, j++ % batches))) },
  ], opts);
}

/**
 * The fused collate + mask path in one thread: store in memory → sampler batch → row plan →
 * masked 256 × 512 full-sentences batch, tokens/s of the padded batch.
 *
 * - `collate.fullSentences`: plan + the one kernel pass that gathers, templates, pads and masks
 *   into WebAssembly memory; measured like `mask.simd` (kernel output in WebAssembly memory), in
 *   the same process, so the two compare side by side.
 * - `collate.fullSentences.scalar`: the same with the scalar tier.
 * - `collate.fullSentences.api`: `Collator.collate()`, which also copies the batch out into
 *   fresh, caller-owned ArrayBuffers (what the loader's workers do per batch).
 * - `collate.span`: `collate.fullSentences` with span masking (SpanBERT's defaults, in words:
 *   the same synthetic documents with a word-start table), in the same suite.
 * - `collate.packed`: the kernel pass of `collate.fullSentences` with `layout: 'packed'` (rows
 *   back to back, position ids instead of the attention mask, no padding written).
 * - `collate.sparse`: the same with `labels: 'sparse'` (each row's masked positions and ids
 *   listed by the kernel after masking it). Both count the 256 × 512 positions of the padded
 *   batch, so they compare with `collate.fullSentences` directly (goal: >= 90% of it).
 */
import { Collator } from '../src/collate/collator.js';
import { planBatch } from '../src/collate/plan.js';
import { createSampler } from '../src/sampler/index.js';
import { runSuite, syntheticStore, syntheticWordStarts, type BenchOptions, type Metrics } from './util.js';

export async function run(opts: BenchOptions): Promise<Metrics> {
  const store = syntheticStore(opts.quick ? 3000 : 12000);
  const sampler = createSampler(store, { format: 'full-sentences', seqLen: 512, batchSize: 256, pad: 'max' });
  const collator = new Collator(store);
  const scalar = new Collator(store, {}, { tier: 'scalar' });
  const span = new Collator(syntheticStore(opts.quick ? 3000 : 12000, 2024, syntheticWordStarts()), { spanMask: true });
  const packed = new Collator(store, { layout: 'packed' });
  const sparse = new Collator(store, { labels: 'sparse' });
  const batches = sampler.numBatches(0) - 1;
  let i = 0;
  let j = 0;
  let k = 0;
  let m = 0;
  let p = 0;
  let q = 0;
  return runSuite('collate + mask, full-sentences 256 × 512', [
    { name: 'collate.fullSentences', unitsPerOp: 256 * 512, unit: 'tok/s', fn: () => collator.kernel.execute('simd', planBatch(sampler, sampler.batch(0, i++ % batches)), 0) },
    { name: 'collate.fullSentences.scalar', unitsPerOp: 256 * 512, unit: 'tok/s', fn: () => scalar.kernel.execute('scalar', planBatch(sampler, sampler.batch(0, j++ % batches)), 0) },
    { name: 'collate.span', unitsPerOp: 256 * 512, unit: 'tok/s', fn: () => span.kernel.execute('simd', planBatch(sampler, sampler.batch(0, m++ % batches)), 0) },
    { name: 'collate.packed', unitsPerOp: 256 * 512, unit: 'tok/s', fn: () => packed.kernel.execute('simd', planBatch(sampler, sampler.batch(0, p++ % batches)), 0) },
    { name: 'collate.sparse', unitsPerOp: 256 * 512, unit: 'tok/s', fn: () => sparse.kernel.execute('simd', planBatch(sampler, sampler.batch(0, q++ % batches)), 0) },
    { name: 'collate.fullSentences.api', unitsPerOp: 256 * 512, unit: 'tok/s', fn: () => collator.collate(planBatch(sampler, sampler.batch(0, k++ % batches))) },
  ], opts);
}

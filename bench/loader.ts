/**
 * The whole loader path: tokens/s consumed by the main thread (store → sample index → plan →
 * collate + mask in workers → batch in hand), full-sentences, seqLen 512.
 *
 * - `loader.workers1`, `loader.workers2` (256 rows): a consumer that gives each batch back with
 *   `loader.recycle()` once done with it, as a training loop can, so buffers are written again
 *   instead of allocated;
 * - `loader.workers1.fresh`, `loader.workers2.fresh`: a consumer that drops every batch, so every
 *   batch is new memory (page faults in the workers, garbage collection on the main thread);
 * - `loader.workers2.batch32`, `loader.workers2.batch1024`: the scaling with batch size (recycling);
 * - `loader.sotu.workers2`, `loader.stream.workers2`: 2 workers over the SOTU store (a file store)
 *   loaded into kernel memory, and streamed (each batch's spans read from `.bin`);
 * - `loader.mix.workers2`: 2 workers over a mixture of three synthetic stores (weights 0.5, 0.3, 0.2).
 *
 * Pool start-up and a warm-up run are outside the timed part; each figure is the median of runs.
 */
import { ingestDefaultCorpus } from '../src/corpus/sotu.js';
import { createLoader } from '../src/loader/loader.js';
import type { MixtureSource } from '../src/sampler/mixture.js';
import { openStore } from '../src/store/reader.js';
import type { TokenStore } from '../src/store/types.js';
import type { StoreAccess } from '../src/wasm/stores.js';
import { medianSeconds, syntheticStore, type BenchOptions, type Metrics } from './util.js';

async function tokensPerSecond(
  store: TokenStore | MixtureSource[], workers: number, batchSize: number, batches: number, runs: number, recycle: boolean, storeAccess: StoreAccess = 'memory',
): Promise<number> {
  const loader = createLoader(store, { format: 'full-sentences', seqLen: 512, batchSize, pad: 'max', workers, epochs: Infinity, storeAccess });
  const take = async (): Promise<void> => {
    const { value } = await loader.next();
    if (recycle && value) loader.recycle(value);
  };
  for (let k = 0; k < batches; k++) await take(); // warm-up: JIT tiers, heap growth
  const seconds = await medianSeconds(runs, async () => {
    for (let k = 0; k < batches; k++) await take();
  });
  await loader.close();
  return (batches * batchSize * 512) / seconds;
}

export async function run(opts: BenchOptions): Promise<Metrics> {
  const store = syntheticStore(opts.quick ? 3000 : 12000);
  // Full mode times ~100 ms per run (≥ 100 batches of 256 rows): runs of 30 batches (~30 ms)
  // let one scheduling hiccup of the shared host move a figure by 10–20%. Quick mode's ~40 ms
  // runs are a smoke test (its two-worker ratio can even fall below 1).
  const runs = opts.quick ? 3 : 5;
  const n = opts.quick ? 48 : 100;
  const metrics: Metrics = {};
  const measure = async (name: string, workers: number, rows: number, count: number, recycle: boolean, over: TokenStore | MixtureSource[] = store, access: StoreAccess = 'memory') => {
    metrics[name] = { value: await tokensPerSecond(over, workers, rows, count, runs, recycle, access), unit: 'tok/s' };
    console.log(`${name}: ${(metrics[name].value / 1e6).toFixed(1)} M tok/s`);
  };
  await measure('loader.workers1', 1, 256, n, true);
  await measure('loader.workers2', 2, 256, n, true);
  await measure('loader.workers1.fresh', 1, 256, n, false);
  await measure('loader.workers2.fresh', 2, 256, n, false);
  await measure('loader.workers2.batch32', 2, 32, 8 * n, true);
  await measure('loader.workers2.batch1024', 2, 1024, Math.max(2, n >> 2), true);
  const sotu = openStore(await ingestDefaultCorpus());
  await measure('loader.sotu.workers2', 2, 256, n, true, sotu, 'memory');
  await measure('loader.stream.workers2', 2, 256, n, true, sotu, 'stream');
  sotu.close();
  const third = opts.quick ? 1000 : 4000;
  const mix = [syntheticStore(third), syntheticStore(third, 77), syntheticStore(third, 99)].map((s, i) => ({ store: s, weight: [0.5, 0.3, 0.2][i] }));
  await measure('loader.mix.workers2', 2, 256, n, true, mix);
  return metrics;
}

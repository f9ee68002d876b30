/**
 * The whole loader path: tokens/s consumed by the main thread (store → sample index → plan →
 * collate + mask in workers → batch in hand), full-sentences, seqLen 512. `loader.workers1` and
 * `loader.workers2` at 256 rows; then 2 workers at 32 and 1024 rows for the scaling figure.
 * Pool start-up and a warm-up run are outside the timed part; each figure is the median of runs.
 */
import { createLoader } from '../src/loader/loader.js';
import type { TokenStore } from '../src/store/types.js';
import { medianSeconds, syntheticStore, type BenchOptions, type Metrics } from './util.js';

async function tokensPerSecond(store: TokenStore, workers: number, batchSize: number, batches: number, runs: number): Promise<number> {
  const loader = createLoader(store, { format: 'full-sentences', seqLen: 512, batchSize, pad: 'max', workers, epochs: Infinity });
  for (let k = 0; k < batches; k++) await loader.next(); // warm-up: JIT tiers, heap growth
  const seconds = await medianSeconds(runs, async () => {
    for (let k = 0; k < batches; k++) await loader.next();
  });
  await loader.close();
  return (batches * batchSize * 512) / seconds;
}

export async function run(opts: BenchOptions): Promise<Metrics> {
  const store = syntheticStore(opts.quick ? 3000 : 12000);
  const runs = opts.quick ? 3 : 5;
  const n = opts.quick ? 8 : 30;
  const metrics: Metrics = {};
  for (const workers of [1, 2]) {
    metrics[`loader.workers${workers}`] = { value: await tokensPerSecond(store, workers, 256, n, runs), unit: 'tok/s' };
    console.log(`loader.workers${workers}: ${(metrics[`loader.workers${workers}`].value / 1e6).toFixed(1)} M tok/s`);
  }
  for (const [rows, count] of [[32, 8 * n], [1024, Math.max(2, n >> 2)]]) {
    const name = `loader.workers2.batch${rows}`;
    metrics[name] = { value: await tokensPerSecond(store, 2, rows, count, runs), unit: 'tok/s' };
    console.log(`${name}: ${(metrics[name].value / 1e6).toFixed(1)} M tok/s`);
  }
  return metrics;
}

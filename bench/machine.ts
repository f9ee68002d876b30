/**
 * What two threads get out of this machine, side by side with the loader's and ingestion's own
 * two-worker scaling, so a run shows which part of a shortfall is the hardware's:
 *
 * - `machine.threads2.compute`: an integer chain in registers (scales ~2× on two real cores);
 * - `machine.threads2.memory`: a read-modify-write stream over 64 MB per thread (bound by the
 *   memory bandwidth the two cores share);
 * - `machine.threads2.tokenizer`: gpt-tokenizer alone, cold merge cache, the corpus in one
 *   thread against its halves in two (ingestion's ceiling: no pipeline, pool or store);
 * - `machine.threads2.collate`: the loader's per-batch work (plan from the shared sample index,
 *   collate + mask over the one shared store into given-back buffers) in bare threads, no main
 *   thread, messages or pool (the loader's ceiling).
 *
 * Each is the speed-up of two threads over one, in the same run: (work done by both / time from
 * the first thread's start to the last one's end) / (work of one / its time), the median of
 * several runs, the order of the one- and two-thread runs alternating. The threads start
 * together at a barrier after their untimed set-up.
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { storeMaskOptions } from '../src/collate/collator.js';
import { defaultCorpusFiles } from '../src/index.js';
import { sharedLayout } from '../src/loader/protocol.js';
import { placeStores } from '../src/wasm/stores.js';
import { resolveMaskOptions } from '../src/mask/options.js';
import { createSampler } from '../src/sampler/index.js';
import { kernelModule } from '../src/wasm/module.js';
import type { MachineTask, MachineTimes, MachineWork, SharedCollate } from './machine-worker.js';
import { syntheticStore, type BenchOptions, type Metrics } from './util.js';

/**
 * Runs `works` on as many threads at once, started together at a barrier; milliseconds from
 * the first thread's start to the last one's end. If a thread fails, the others are stopped
 * (they may be waiting at the barrier) and the run rejects.
 */
function together(works: MachineWork[]): Promise<number> {
  const barrier = new Int32Array(new SharedArrayBuffer(4));
  const threads: Worker[] = [];
  const runs = works.map((work) => new Promise<MachineTimes>((resolve, reject) => {
    const task: MachineTask = { work, barrier, threads: works.length };
    const w = new Worker(new URL('./machine-worker.js', import.meta.url), { workerData: task });
    threads.push(w);
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`machine benchmark thread exited with code ${code}`)));
  }));
  return Promise.all(runs).then(
    (times) => Math.max(...times.map((t) => t.end)) - Math.min(...times.map((t) => t.start)),
    async (err: unknown) => {
      await Promise.all(threads.map((w) => w.terminate()));
      throw err;
    },
  );
}

/**
 * Speed-up of `two` (run together) over `one`, the median over `runs`; `share` = work of the
 * pair / work of `one`. The order of the one- and two-thread runs alternates.
 */
async function scaling(one: MachineWork, two: [MachineWork, MachineWork], share: number, runs: number): Promise<number> {
  const xs: number[] = [];
  for (let r = 0; r < runs; r++) {
    let t1: number;
    let t2: number;
    if (r % 2 === 0) {
      t1 = await together([one]);
      t2 = await together(two);
    } else {
      t2 = await together(two);
      t1 = await together([one]);
    }
    xs.push((share * t1) / t2);
  }
  xs.sort((a, b) => a - b);
  return xs[xs.length >> 1];
}

/** The loader's worker state over `documents` synthetic documents, set up as `createLoader` does. */
function sharedCollate(documents: number): SharedCollate {
  const store = syntheticStore(documents);
  const { memory, sources, elemSize } = placeStores([store], 'memory', store.vocabSize);
  const sampler = createSampler(store, { format: 'full-sentences', seqLen: 512, batchSize: 256, pad: 'max' });
  const batches = Array.from({ length: sampler.numBatches(0) }, (_, b) => {
    const { sampleIds, width } = sampler.batch(0, b);
    return { sampleIds, width };
  });
  return {
    module: kernelModule(), memory, sources: [...sources], elemSize, specials: store.specials, batches,
    layout: sharedLayout(store),
    index: sampler.index(0),
    params: resolveMaskOptions(storeMaskOptions(store)),
  };
}

/** The files in corpus order, dealt to two halves of (nearly) equal bytes. */
function halves(files: string[]): [string[], string[]] {
  const out: [string[], string[]] = [[], []];
  const bytes = [0, 0];
  for (const f of files) {
    const h = bytes[0] <= bytes[1] ? 0 : 1;
    out[h].push(f);
    bytes[h] += fs.statSync(f).size;
  }
  return out;
}

export async function run(opts: BenchOptions): Promise<Metrics> {
  const runs = opts.quick ? 1 : 3;
  const files = defaultCorpusFiles();
  const compute: MachineWork = { kind: 'compute', iterations: opts.quick ? 1e8 : 2e8 };
  const memory: MachineWork = { kind: 'memory', bytes: 64 << 20, passes: opts.quick ? 6 : 15 };
  const shared = sharedCollate(opts.quick ? 3000 : 12000);
  const batches = opts.quick ? 100 : 200;
  const collate = (first: number): MachineWork => ({ kind: 'collate', shared, first, batches, ring: 3 });
  const metrics: Metrics = {};
  const measure = async (name: string, value: Promise<number>) => {
    metrics[name] = { value: await value, unit: 'x' };
    console.log(`${name}: ${metrics[name].value.toFixed(2)}x`);
  };
  await measure('machine.threads2.compute', scaling(compute, [compute, compute], 2, runs));
  await measure('machine.threads2.memory', scaling(memory, [memory, memory], 2, runs));
  const [a, b] = halves(files);
  await measure('machine.threads2.tokenizer', scaling({ kind: 'tokenizer', files }, [{ kind: 'tokenizer', files: a }, { kind: 'tokenizer', files: b }], 1, runs));
  await measure('machine.threads2.collate', scaling(collate(0), [collate(0), collate(13)], 2, runs));
  return metrics;
}

/**
 * One thread of the machine benchmark (see machine.ts): sets its work up, waits at a barrier
 * for the other threads of the run, then times its share of the work and posts milliseconds.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { CollateKernel, type OutputBuffers } from '../src/collate/kernel.js';
import { buildRowPlan, type PlanLayout } from '../src/collate/plan.js';
import type { SampleIndex } from '../src/formats/types.js';
import { outputBuffers } from '../src/loader/protocol.js';
import type { MaskParams } from '../src/mask/options.js';
import type { SpecialTokens } from '../src/store/types.js';
import { setKernelModule } from '../src/wasm/module.js';
import { workerSources, type PlacedSource } from '../src/wasm/stores.js';

/** The loader's worker state, set up once in the main thread and shared (see machine.ts). */
export interface SharedCollate {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  sources: PlacedSource[];
  elemSize: 2 | 4;
  layout: PlanLayout;
  index: SampleIndex;
  specials: SpecialTokens;
  params: MaskParams;
  /** One epoch's batches: sample ids and padded width. */
  batches: { sampleIds: Uint32Array; width: number }[];
}

export type MachineWork =
  /** An integer multiply-add chain: registers only. */
  | { kind: 'compute'; iterations: number }
  /** Read-modify-write of one int32 per 64-byte line over `bytes` (far larger than the caches). */
  | { kind: 'memory'; bytes: number; passes: number }
  /** gpt-tokenizer's r50k `encode` over the files, merge cache cold (as ingestion meets text). */
  | { kind: 'tokenizer'; files: string[] }
  /**
   * A loader worker's per-batch work without the loader: plan from the shared sample index,
   * collate + mask over the shared store into given-back buffers (a ring of `ring` sets).
   */
  | { kind: 'collate'; shared: SharedCollate; first: number; batches: number; ring: number };

export interface MachineTask {
  work: MachineWork;
  /** Int32Array over a SharedArrayBuffer: [threads checked in]. */
  barrier: Int32Array;
  threads: number;
}

/** What a thread reports: when its timed part started and ended, in ms since the epoch. */
export interface MachineTimes {
  start: number;
  end: number;
}

const task = workerData as MachineTask;

/** Sets the work up (untimed) and returns the part to time. */
function prepare(work: MachineWork): () => void {
  switch (work.kind) {
    case 'compute':
      return () => {
        let x = 1;
        let y = 7;
        for (let i = 0; i < work.iterations; i++) {
          x = (Math.imul(x, 1664525) + 1013904223) | 0;
          y ^= x >>> 13;
        }
        if (x === y) console.log(''); // keeps the loop's result alive
      };
    case 'memory': {
      const a = new Int32Array(work.bytes >> 2);
      a.fill(1); // the pages exist before the timed part
      return () => {
        for (let p = 0; p < work.passes; p++) for (let i = 0; i < a.length; i += 16) a[i] += p;
      };
    }
    case 'tokenizer': {
      const r50k = createRequire(import.meta.url)('gpt-tokenizer/encoding/r50k_base') as {
        encode(text: string, options: object): number[];
        clearMergeCache(): void;
      };
      const plain = { disallowedSpecial: new Set<string>() };
      const texts = work.files.map((f) => fs.readFileSync(f, 'utf8'));
      r50k.encode(texts[0], plain); // loads the ranks, tiers the JIT up
      r50k.clearMergeCache();
      return () => {
        for (const t of texts) r50k.encode(t, plain);
      };
    }
    case 'collate': {
      const c = work.shared;
      setKernelModule(c.module);
      const kernel = new CollateKernel({ params: c.params, pad: c.specials.pad, memory: c.memory, sources: workerSources(c.sources), elemSize: c.elemSize });
      const ring: (OutputBuffers | undefined)[] = new Array(work.ring).fill(undefined);
      let k = 0;
      const one = (b: number): void => {
        const { sampleIds, width } = c.batches[b % c.batches.length];
        const slot = k++ % ring.length;
        const plan = buildRowPlan(c.layout, c.specials, c.index, sampleIds, width);
        ring[slot] = outputBuffers(kernel.run('simd', plan, 0, ring[slot]));
      };
      for (let i = 0; i < 30; i++) one(work.first + i); // warm-up: JIT and wasm tiers, buffers
      return () => {
        for (let i = 0; i < work.batches; i++) one(work.first + 30 + i);
      };
    }
  }
}

const timed = prepare(task.work);
Atomics.add(task.barrier, 0, 1);
Atomics.notify(task.barrier, 0);
for (let seen = Atomics.load(task.barrier, 0); seen < task.threads; seen = Atomics.load(task.barrier, 0)) {
  Atomics.wait(task.barrier, 0, seen);
}
const start = performance.timeOrigin + performance.now();
timed();
parentPort!.postMessage({ start, end: performance.timeOrigin + performance.now() } satisfies MachineTimes);

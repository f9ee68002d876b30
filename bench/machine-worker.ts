/**
 * One thread of the machine benchmark (see machine.ts): sets its work up, waits at a barrier
 * for the other threads of the run, then times its share of the work and posts milliseconds.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { Collator } from '../src/collate/collator.js';
import type { OutputBuffers } from '../src/collate/kernel.js';
import { outputBuffers } from '../src/loader/protocol.js';
import { createSampler } from '../src/sampler/index.js';
import { syntheticStore } from './util.js';

export type MachineWork =
  /** An integer multiply-add chain: registers only. */
  | { kind: 'compute'; iterations: number }
  /** Read-modify-write of one int32 per 64-byte line over `bytes` (far larger than the caches). */
  | { kind: 'memory'; bytes: number; passes: number }
  /** gpt-tokenizer's r50k `encode` over the files, merge cache cold (as ingestion meets text). */
  | { kind: 'tokenizer'; files: string[] }
  /** The loader's per-batch work without the loader: plan + collate + mask into given-back buffers. */
  | { kind: 'collate'; documents: number; first: number; batches: number; ring: number };

export interface MachineTask {
  work: MachineWork;
  /** Int32Array over a SharedArrayBuffer: [threads checked in]. */
  barrier: Int32Array;
  threads: number;
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
      const store = syntheticStore(work.documents);
      const sampler = createSampler(store, { format: 'full-sentences', seqLen: 512, batchSize: 256, pad: 'max' });
      const collator = new Collator(store);
      const total = sampler.numBatches(0);
      const ring: (OutputBuffers | undefined)[] = new Array(work.ring).fill(undefined);
      let k = 0;
      const one = (b: number): void => {
        const slot = k++ % ring.length;
        const batch = collator.kernel.run('simd', sampler.plan(sampler.batch(0, b % total)), collator.params, ring[slot]);
        ring[slot] = outputBuffers(batch);
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
while (Atomics.load(task.barrier, 0) < task.threads) Atomics.wait(task.barrier, 0, Atomics.load(task.barrier, 0), 10);
const t0 = performance.now();
timed();
parentPort!.postMessage(performance.now() - t0);

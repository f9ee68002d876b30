/**
 * A collate worker of the loader (run by Piscina): instantiates the kernels once over the
 * shared kernel memory, then serves the loader's jobs on its own port: per job it plans the rows
 * from the shared sample indexes, brings their tokens into kernel memory (already there when the
 * stores are loaded whole; read from the files when they are streamed), collates and masks
 * them, and moves the batch's buffers back to the main thread (transferred, not copied).
 */
import { threadId } from 'node:worker_threads';
import { workerData } from 'piscina';
import { CollateKernel } from '../collate/kernel.js';
import { planRows, type PlanContext, type PlanSource } from '../collate/plan.js';
import { toWire } from '../errors.js';
import type { SampleIndex } from '../formats/types.js';
import { setKernelModule } from '../wasm/module.js';
import { workerSources } from '../wasm/stores.js';
import {
  batchBuffers, indexKey, staleKeys, type StreamReady, type StreamTask, type WorkerInit, type WorkerJob, type WorkerReply,
} from './protocol.js';

const init = workerData as WorkerInit;
setKernelModule(init.module);
const kernel = new CollateKernel({ params: init.params, pad: init.pad, memory: init.memory, sources: workerSources(init.sources), elemSize: init.elemSize, form: init.form });
/** Sample indexes as the loader sent them, by `indexKey` (a few recent epochs per source are kept). */
const indexes = new Map<string, SampleIndex>();
const sources: PlanSource[] = init.layouts.map((layout, s) => ({
  layout,
  index(epoch: number): SampleIndex {
    const index = indexes.get(indexKey(s, epoch, init.perEpoch));
    if (!index) throw new Error(`no sample index for epoch ${epoch} of source ${s}`);
    return index;
  },
}));
const context: PlanContext = { sources, specials: init.specials, template: init.template, pair: init.pair };
let lastBuffers: ArrayBuffer[] = [];

/** One job's reply, and the buffers it moves. */
function serve(job: WorkerJob): [WorkerReply, ArrayBuffer[]] {
  if (job.kind === 'lastTransfer') return [{ kind: 'lastTransfer', byteLengths: lastBuffers.map((b) => b.byteLength) }, []];
  if (job.kind !== 'collate') return [{ kind: 'error', error: toWire(new Error(`unknown job ${(job as { kind: string }).kind}`)) }, []];
  try {
    for (const { key, source, epoch, index } of job.indexes ?? []) {
      indexes.set(key, index);
      if (init.perEpoch) for (const stale of staleKeys(indexes.keys(), source, epoch)) indexes.delete(stale);
    }
    if (job.fault === 'exit') process.exit(3);
    if (job.fault === 'throw') throw new Error(`injected fault at batch ${job.batchIndex}`);
    const plan = planRows(context, job);
    const batch = kernel.run(init.tier, plan, job.epoch, job.recycled);
    lastBuffers = batchBuffers(batch);
    return [{ kind: 'batch', batch }, lastBuffers];
  } catch (err) {
    return [{ kind: 'error', error: toWire(err) }, []];
  }
}

/**
 * Piscina's start-up task: serve the port's jobs in order, one reply each, for as long as the
 * port is open; the task itself resolves with this thread's id once the main thread says `go`.
 */
export default function handle(task: StreamTask): Promise<number> {
  const { port } = task;
  return new Promise((resolve) => {
    port.on('message', (job: WorkerJob) => {
      if (job.kind === 'go') {
        resolve(threadId);
        return;
      }
      const [reply, transfer] = serve(job);
      port.postMessage(reply, transfer);
    });
    // The loader closed the port before `go` (closed during start-up): end the task too.
    port.once('close', () => resolve(threadId));
    port.postMessage({ kind: 'ready' } satisfies StreamReady);
  });
}

/**
 * A collate worker of the loader (run by Piscina): instantiates the kernels once over the
 * shared memory that holds the store, then serves the loader's jobs on its own port: per job it
 * plans the rows from the shared sample index, collates and masks them, and moves the batch's
 * buffers back to the main thread (transferred, not copied).
 */
import { threadId } from 'node:worker_threads';
import { workerData } from 'piscina';
import { CollateKernel } from '../collate/kernel.js';
import { buildRowPlan } from '../collate/plan.js';
import { toWire } from '../errors.js';
import type { SampleIndex } from '../formats/types.js';
import { epochParams } from '../mask/options.js';
import { setKernelModule } from '../wasm/module.js';
import { batchBuffers, type StreamReady, type StreamTask, type WorkerInit, type WorkerJob, type WorkerReply } from './protocol.js';

const init = workerData as WorkerInit;
setKernelModule(init.module);
const kernel = new CollateKernel(init.params, init.pad, init.region, init.memory);
/** Sample indexes by epoch, as the loader sent them (the last two epochs are kept). */
const indexes = new Map<number, SampleIndex>();
let lastBuffers: ArrayBuffer[] = [];
const paramsOf = epochParams(init.params);

/** One job's reply, and the buffers it moves. */
function serve(job: WorkerJob): [WorkerReply, ArrayBuffer[]] {
  if (job.kind === 'lastTransfer') return [{ kind: 'lastTransfer', byteLengths: lastBuffers.map((b) => b.byteLength) }, []];
  if (job.kind !== 'collate') return [{ kind: 'error', error: toWire(new Error(`unknown job ${(job as { kind: string }).kind}`)) }, []];
  try {
    if (job.index) {
      indexes.set(job.epoch, job.index);
      for (const e of indexes.keys()) if (e < job.epoch - 1) indexes.delete(e);
    }
    const index = indexes.get(job.epoch);
    if (!index) throw new Error(`no sample index for epoch ${job.epoch}`);
    if (job.fault === 'exit') process.exit(3);
    if (job.fault === 'throw') throw new Error(`injected fault at batch ${job.batchIndex}`);
    const plan = buildRowPlan(init.layout, init.specials, index, job.sampleIds, job.width);
    const batch = kernel.run(init.tier, plan, paramsOf(job.epoch), job.recycled);
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

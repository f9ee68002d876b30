/**
 * A collate worker of the loader (run by Piscina): instantiates the kernels once over the
 * shared memory that holds the store, then per task plans the rows from the shared sample
 * index, collates and masks them, and moves the batch's buffers back to the main thread
 * (transferred, not copied).
 */
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { CollateKernel } from '../collate/kernel.js';
import { buildRowPlan } from '../collate/plan.js';
import { toWire } from '../errors.js';
import { withEpoch } from '../mask/options.js';
import { setKernelModule } from '../wasm/module.js';
import { batchBuffers, type WorkerInit, type WorkerReply, type WorkerTask } from './protocol.js';

const init = workerData as WorkerInit;
setKernelModule(init.module);
const kernel = new CollateKernel(init.params, init.pad, init.region, init.memory);
let lastBuffers: ArrayBuffer[] = [];

/** Wraps a reply so Piscina transfers the listed buffers. */
function transfer(reply: WorkerReply, buffers: ArrayBuffer[]): unknown {
  return move({
    get [transferableSymbol]() {
      return buffers;
    },
    get [valueSymbol]() {
      return reply;
    },
  } as unknown as ArrayBuffer);
}

export default function handle(task: WorkerTask): unknown {
  if (task.kind === 'lastTransfer') return { kind: 'lastTransfer', byteLengths: lastBuffers.map((b) => b.byteLength) };
  try {
    if (task.fault === 'exit') process.exit(3);
    if (task.fault === 'throw') throw new Error(`injected fault at batch ${task.batchIndex}`);
    const plan = buildRowPlan(init.layout, init.specials, task.index, task.sampleIds, task.width);
    const batch = kernel.run(init.tier, plan, withEpoch(init.params, task.epoch), task.recycled);
    lastBuffers = batchBuffers(batch);
    return transfer({ kind: 'batch', batch }, lastBuffers);
  } catch (err) {
    return { kind: 'error', error: toWire(err) } satisfies WorkerReply;
  }
}

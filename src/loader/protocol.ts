/**
 * The loader's worker protocol: what the main thread sends each collate worker and what comes
 * back. Plain data and typed arrays only (structured clone); errors travel as `WireError`
 * because an `Error` subclass loses its class across threads.
 */
import type { Batch } from '../batch.js';
import type { RowPlan } from '../collate/plan.js';
import type { WireError } from '../errors.js';
import type { KernelTier } from '../mask/kernel.js';
import type { MaskParams } from '../mask/options.js';
import type { StoreRegion } from '../collate/kernel.js';

/** Given to every worker once, as Piscina's `workerData`. */
export interface WorkerInit {
  /** The compiled kernels (a `WebAssembly.Module` is shared, not recompiled). */
  module: WebAssembly.Module;
  /** The shared kernel memory holding the store's tokens. */
  memory: WebAssembly.Memory;
  region: StoreRegion;
  params: MaskParams;
  pad: number;
  tier: KernelTier;
}

/** Deliberate failures, for the tests of the failure paths. */
export type Fault = 'throw' | 'exit';

export type WorkerTask =
  | { kind: 'collate'; epoch: number; batchIndex: number; plan: RowPlan; fault?: Fault }
  /** Byte lengths of the buffers of the last batch this worker sent (0 once moved away). */
  | { kind: 'lastTransfer' };

export type WorkerReply =
  | { kind: 'batch'; batch: Batch }
  | { kind: 'lastTransfer'; byteLengths: number[] }
  | { kind: 'error'; error: WireError };

/** The buffers of a batch, to transfer instead of clone. */
export function batchBuffers(batch: Batch): ArrayBuffer[] {
  const arrays = [batch.inputIds, batch.attentionMask, batch.labels, batch.tokenTypeIds, batch.nextSentenceLabel, batch.sampleIds];
  return arrays.filter((a) => a !== undefined).map((a) => a!.buffer as ArrayBuffer);
}

/** The buffers of a plan (fresh per batch), to transfer to the worker. */
export function planBuffers(plan: RowPlan): ArrayBuffer[] {
  const arrays = [plan.rowItemStart, plan.items, plan.rowLengths, plan.sampleIds, plan.nextSentenceLabel];
  return arrays.filter((a) => a !== undefined).map((a) => a!.buffer as ArrayBuffer);
}

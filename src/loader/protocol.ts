/**
 * The loader's worker protocol: what the main thread sends each collate worker and what comes
 * back. Plain data and typed arrays only (structured clone); errors travel as `WireError`
 * because an `Error` subclass loses its class across threads.
 */
import type { MessagePort } from 'node:worker_threads';
import type { AnyBatch } from '../batch.js';
import type { BatchForm } from '../collate/form.js';
import type { WireError } from '../errors.js';
import type { KernelTier } from '../mask/kernel.js';
import type { MaskParams } from '../mask/options.js';
import type { OutputBuffers } from '../collate/kernel.js';
import type { PlanLayout } from '../collate/plan.js';
import { toSharedArray } from '../formats/shared.js';
import type { SampleIndex, Template } from '../formats/types.js';
import type { SpecialTokens } from '../store/types.js';
import type { PlacedSource } from '../wasm/stores.js';

/** What row plans need of each store's layout, over shared memory (copied once per loader). */
export type SharedLayout = PlanLayout;

/** `store`'s layout with its per-document token starts copied into a SharedArrayBuffer, for the workers' row plans. */
export function sharedLayout(store: PlanLayout): SharedLayout {
  return { numTokens: store.numTokens, numDocuments: store.numDocuments, documentTokenStarts: toSharedArray(store.documentTokenStarts) };
}

/** Given to every worker once, as Piscina's `workerData`. */
export interface WorkerInit {
  /** The compiled kernels (a `WebAssembly.Module` is shared, not recompiled). */
  module: WebAssembly.Module;
  /** The shared kernel memory (holding the stores' tokens when they are loaded whole). */
  memory: WebAssembly.Memory;
  /** Where each source's tokens are: a region of `memory`, or a file the worker reads itself. */
  sources: PlacedSource[];
  elemSize: 2 | 4;
  params: MaskParams;
  form: BatchForm;
  pad: number;
  tier: KernelTier;
  layouts: SharedLayout[];
  specials: SpecialTokens;
  template: Template;
  pair: boolean;
  /** Whether sample indexes change with the epoch (the pair formats). */
  perEpoch: boolean;
}

/** The key under which a worker keeps a source's sample index: per source, and per epoch for the pair formats. */
export function indexKey(source: number, epoch: number, perEpoch: boolean): string {
  return perEpoch ? `${source}:${epoch}` : `${source}`;
}

/** Epochs of one source whose indexes a worker keeps (installing epoch E drops E - KEEP and older). */
export const KEPT_EPOCHS = 4;

/** The keys to drop once `key` of (`source`, `epoch`) is installed (per-epoch indexes only). */
export function staleKeys(keys: Iterable<string>, source: number, epoch: number): string[] {
  const out: string[] = [];
  for (const k of keys) {
    const [s, e] = k.split(':').map(Number);
    if (s === source && e !== undefined && e <= epoch - KEPT_EPOCHS) out.push(k);
  }
  return out;
}

/** Deliberate failures, for the tests of the failure paths. */
export type Fault = 'throw' | 'exit';

/**
 * The start-up task each worker of the loader runs once (see `streams.ts`): it hands the worker
 * the port it serves jobs on, posts `ready` there, and resolves with the worker's thread id when
 * the main thread answers `go` (once every worker is ready).
 */
export interface StreamTask {
  kind: 'stream';
  port: MessagePort;
}

/** A worker's first message on its port. */
export interface StreamReady {
  kind: 'ready';
}

export type WorkerJob =
  /** Plan the rows of `sampleIds` from the epoch's (shared) sample index, then collate and mask them. */
  | {
    kind: 'collate'; epoch: number; batchIndex: number; sampleIds: Uint32Array; width: number;
    /** Mixtures: the source of each row and the epoch of its source. */
    sources?: Uint8Array;
    sourceEpochs?: Uint32Array;
    /** Sample indexes the rows need that this worker does not have yet (over shared memory: not copied). */
    indexes?: { key: string; source: number; epoch: number; index: SampleIndex }[];
    /** Buffers of an earlier batch the consumer gave back, transferred here to be written again. */
    recycled?: OutputBuffers;
    fault?: Fault;
  }
  /** Byte lengths of the buffers of the last batch this worker sent (0 once moved away). */
  | { kind: 'lastTransfer' }
  /** Every worker is ready: end the start-up task (no reply). */
  | { kind: 'go' };

export type WorkerReply =
  | { kind: 'batch'; batch: AnyBatch }
  | { kind: 'lastTransfer'; byteLengths: number[] }
  | { kind: 'error'; error: WireError };

/** The buffers of a batch of any form (each array has its own), to transfer instead of clone. */
export function batchBuffers(batch: AnyBatch): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const value of Object.values(batch)) if (ArrayBuffer.isView(value)) out.push(value.buffer as ArrayBuffer);
  return out;
}

/** The per-token buffers of a batch (any form), for reuse. */
export function outputBuffers(batch: AnyBatch): OutputBuffers {
  const b = (a: Int32Array | undefined) => (a ? (a.buffer as ArrayBuffer) : undefined);
  const any = batch as Partial<Record<keyof OutputBuffers, Int32Array>>;
  const out: OutputBuffers = {};
  for (const key of ['inputIds', 'attentionMask', 'labels', 'tokenTypeIds', 'positionIds'] as const) if (any[key]) out[key] = b(any[key]);
  return out;
}

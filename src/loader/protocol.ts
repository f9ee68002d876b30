/**
 * The loader's worker protocol: what the main thread sends each collate worker and what comes
 * back. Plain data and typed arrays only (structured clone); errors travel as `WireError`
 * because an `Error` subclass loses its class across threads.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Batch } from '../batch.js';
import type { WireError } from '../errors.js';
import type { KernelTier } from '../mask/kernel.js';
import type { MaskParams } from '../mask/options.js';
import type { OutputBuffers, StoreRegion } from '../collate/kernel.js';
import type { SampleIndex } from '../formats/types.js';
import type { SpecialTokens } from '../store/types.js';
import type { PlanLayout } from '../collate/plan.js';

/** What row plans need of the store's layout, over shared memory (copied once per loader). */
export type SharedLayout = PlanLayout;

/** `store`'s layout copied into SharedArrayBuffers, for the workers' row plans. */
export function sharedLayout(store: PlanLayout): SharedLayout {
  return toShared({ numTokens: store.numTokens, sentenceStarts: store.sentenceStarts, documentIndex: store.documentIndex });
}

/** Typed arrays of `value` moved into SharedArrayBuffers, so posting it to a worker copies nothing. */
export function toShared<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (ArrayBuffer.isView(v) && !(v.buffer instanceof SharedArrayBuffer)) {
      const Ctor = v.constructor as new (buffer: SharedArrayBuffer) => ArrayBufferView;
      const shared = new Ctor(new SharedArrayBuffer(v.byteLength));
      new Uint8Array(shared.buffer).set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      out[key] = shared;
    } else {
      out[key] = v;
    }
  }
  return out as T;
}

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
  layout: SharedLayout;
  specials: SpecialTokens;
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
    /** The epoch's sample index, sent with the worker's first job of that epoch only. */
    index?: SampleIndex;
    /** Buffers of an earlier batch the consumer gave back, transferred here to be written again. */
    recycled?: OutputBuffers;
    fault?: Fault;
  }
  /** Byte lengths of the buffers of the last batch this worker sent (0 once moved away). */
  | { kind: 'lastTransfer' }
  /** Every worker is ready: end the start-up task (no reply). */
  | { kind: 'go' };

export type WorkerReply =
  | { kind: 'batch'; batch: Batch }
  | { kind: 'lastTransfer'; byteLengths: number[] }
  | { kind: 'error'; error: WireError };

/** The buffers of a batch, to transfer instead of clone. */
export function batchBuffers(batch: Batch): ArrayBuffer[] {
  const arrays = [batch.inputIds, batch.attentionMask, batch.labels, batch.tokenTypeIds, batch.nextSentenceLabel, batch.sampleIds];
  return arrays.filter((a) => a !== undefined).map((a) => a!.buffer as ArrayBuffer);
}


/** The `[B, L]` buffers of a batch, for reuse. */
export function outputBuffers(batch: Batch): OutputBuffers {
  const b = (a: Int32Array | undefined) => (a ? (a.buffer as ArrayBuffer) : undefined);
  return { inputIds: b(batch.inputIds), attentionMask: b(batch.attentionMask), labels: b(batch.labels), tokenTypeIds: b(batch.tokenTypeIds) };
}

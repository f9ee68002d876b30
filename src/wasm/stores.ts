/**
 * Where the stores' tokens live for the kernels: loaded whole into one kernel memory shared by
 * every thread (`memory`), or left in their files and read per batch (`stream`). `auto` loads
 * stores that take at most {@link AUTO_MEMORY_BYTES} together and streams larger ones.
 */
import type { TokenSource, TokenStore } from '../store/types.js';
import { optionError } from '../validate.js';
import { Arena, createKernelMemory, FIRST_CLAIM } from './arena.js';
import { instantiate } from './module.js';
import { binFile, IdCheck, loadRegion, sourceReader, storeReader, type SourceTokens, type TokenRegion } from './tokens.js';

export type StoreAccess = 'memory' | 'stream';
export type StoreAccessOption = StoreAccess | 'auto';

/** `auto` loads the stores into memory when their tokens take at most this many bytes (2 GiB). */
export const AUTO_MEMORY_BYTES = 2 ** 31;
/** Kernel memory is at most 4 GiB; the stores loaded into it must leave room for the batch buffers. */
const MEMORY_HEADROOM = 256 << 20;

/** Bytes of the stores' tokens. */
export function storeBytes(stores: readonly TokenStore[]): number {
  return stores.reduce((sum, s) => sum + s.numTokens * (s.dtype === 'uint16' ? 2 : 4), 0);
}

/**
 * The access `option` means for `stores`; `workers` > 0 needs stores that worker threads can read
 * themselves for streaming (`store.source()`).
 * @throws RangeError naming `options.storeAccess` when `memory` cannot hold the stores or `stream` cannot read one.
 */
export function chooseAccess(option: StoreAccessOption, stores: readonly TokenStore[], workers: number): StoreAccess {
  const bytes = storeBytes(stores);
  const access = option === 'auto' ? (bytes <= AUTO_MEMORY_BYTES ? 'memory' : 'stream') : option;
  if (access === 'memory' && bytes + MEMORY_HEADROOM > 2 ** 32) {
    throw optionError(RangeError, ['options.storeAccess'], (n) => `${n} 'memory' needs the stores' ${bytes} bytes of tokens in one 4 GiB WebAssembly memory; use 'stream' (or 'auto'), got ${JSON.stringify(option)}`);
  }
  if (access === 'stream' && workers > 0) {
    const i = stores.findIndex((s) => typeof s.source !== 'function');
    if (i >= 0) throw optionError(RangeError, ['options.storeAccess'], (n) => `${n} 'stream' with workers needs stores that worker threads can read (file or memory stores); store ${i} cannot, got ${JSON.stringify(option)}`);
  }
  return access;
}

/** A source placed for kernels, in a form that can be posted to worker threads. */
export type PlacedSource =
  | { readonly kind: 'memory'; readonly region: TokenRegion; readonly file: string }
  | { readonly kind: 'stream'; readonly source: TokenSource | undefined; readonly numTokens: number; readonly file: string };

/** The stores placed for kernels: the memory (with the loaded stores in it) and each source's place. */
export interface PlacedStores {
  readonly memory: WebAssembly.Memory;
  readonly access: StoreAccess;
  readonly elemSize: 2 | 4;
  readonly sources: readonly PlacedSource[];
}

/**
 * A new kernel memory with `stores` placed for `access`: loaded (ids checked: `ERR_STORE_CORRUPT`
 * naming the file and position of the first id outside `[0, vocabSize)`), or described for
 * streaming. The stores must share one dtype (mixtures are checked for it).
 */
export function placeStores(stores: readonly TokenStore[], access: StoreAccess, vocabSize: number): PlacedStores {
  const elemSize = stores[0].dtype === 'uint16' ? 2 : 4;
  const memory = createKernelMemory((access === 'memory' ? storeBytes(stores) + 16 * stores.length : 0) + (1 << 20));
  if (access === 'stream') {
    const sources = stores.map((s) => ({ kind: 'stream' as const, source: s.source?.(), numTokens: s.numTokens, file: binFile(s) }));
    return { memory, access, elemSize, sources };
  }
  const arena = new Arena(memory);
  const ids = new IdCheck(instantiate(memory, FIRST_CLAIM), arena, vocabSize);
  const sources = stores.map((s) => ({ kind: 'memory' as const, region: loadRegion(arena, ids, storeReader(s), s.numTokens, elemSize), file: binFile(s) }));
  return { memory, access, elemSize, sources };
}

/** The placed sources as a kernel host in a worker thread reaches them (streamed sources open their files there). */
export function workerSources(placed: readonly PlacedSource[]): SourceTokens[] {
  return placed.map((p) => {
    if (p.kind === 'memory') return p;
    if (!p.source) throw new Error(`${p.file} cannot be read from a worker thread`);
    return { kind: 'stream', reader: sourceReader(p.source), numTokens: p.numTokens };
  });
}

/** The placed sources as a kernel host in the calling thread reaches them (streamed ones through the store objects). */
export function localSources(placed: readonly PlacedSource[], stores: readonly TokenStore[]): SourceTokens[] {
  return placed.map((p, i) => (p.kind === 'memory' ? p : { kind: 'stream', reader: storeReader(stores[i]), numTokens: p.numTokens }));
}

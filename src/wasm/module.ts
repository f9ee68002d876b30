/**
 * The compiled kernel module (`build/maskpack.wasm`), compiled once per thread and shared:
 * a `WebAssembly.Module` can be posted to workers, which then only instantiate it.
 */
import { readFileSync } from 'node:fs';
import type { KernelExports } from './abi.js';

export type { KernelExports } from './abi.js';

/** WebAssembly pages are 64 KiB; the module imports a shared memory of at most 65536 pages (4 GiB). */
export const PAGE_BYTES = 65536;
export const MAX_PAGES = 65536;

const WASM_URL = new URL('../../../build/maskpack.wasm', import.meta.url);
let compiled: WebAssembly.Module | undefined;

/** Uses an already compiled module (a worker receives the main thread's instead of compiling). */
export function setKernelModule(module: WebAssembly.Module): void {
  compiled = module;
}

/** The kernel module, compiled on first use. */
export function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(WASM_URL));
  return compiled;
}

/**
 * Instantiates the kernels over `memory` (a memory from `createKernelMemory`), synchronously:
 * the module is already compiled. `firstClaim` is where host claims begin.
 */
export function instantiate(memory: WebAssembly.Memory, firstClaim: number, module: WebAssembly.Module = kernelModule()): KernelExports {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as KernelExports;
  if (exports.heapBase() > firstClaim) {
    throw new Error(`the kernel module's static data ends at ${exports.heapBase()}, past the first host claim at ${firstClaim}`);
  }
  return exports;
}

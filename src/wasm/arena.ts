/**
 * Memory for the kernels. One shared `WebAssembly.Memory` can serve many threads: the token
 * store is loaded into it once and every worker's kernel instance claims its own buffers from
 * it. Claims are a lock-free bump of one shared word; nothing is ever freed (buffers are
 * claimed once per batch shape and reused, and grow geometrically, so the waste is bounded).
 *
 *   0        64         1024                     2048
 *   | unused | top u32 | module static data ... | claims: store | params | flags | batch buffers … |
 *
 * Typed-array views over the memory are made fresh after claims, because growing a memory
 * gives it a new (longer) buffer object.
 */
import { MAX_PAGES, PAGE_BYTES } from './module.js';

const TOP_ADDR = 64;
/** First claimable byte; the kernel module's static data must end below it (checked at instantiation). */
export const FIRST_CLAIM = 2048;

/** A shared memory for the kernels with room for `bytes` claims, its allocator initialised. */
export function createKernelMemory(bytes = 1 << 20): WebAssembly.Memory {
  const initial = Math.max(2, Math.ceil((FIRST_CLAIM + bytes) / PAGE_BYTES));
  if (initial > MAX_PAGES) throw new RangeError(`a kernel memory of ${bytes} bytes exceeds the 4 GiB WebAssembly limit`);
  const memory = new WebAssembly.Memory({ initial, maximum: MAX_PAGES, shared: true });
  new Uint32Array(memory.buffer, TOP_ADDR, 1)[0] = FIRST_CLAIM;
  return memory;
}

export class Arena {
  readonly memory: WebAssembly.Memory;

  constructor(memory: WebAssembly.Memory) {
    this.memory = memory;
  }

  /** Claims `bytes` (16-byte aligned) from the shared memory, growing it if needed; returns the pointer. */
  claim(bytes: number): number {
    const size = align(Math.max(bytes, 1), 16);
    const ptr = Atomics.add(new Uint32Array(this.memory.buffer, TOP_ADDR, 1), 0, size);
    const end = ptr + size;
    if (end > MAX_PAGES * PAGE_BYTES) {
      throw new RangeError(`kernel memory exhausted: a claim of ${bytes} bytes passes the 4 GiB WebAssembly limit`);
    }
    for (let have = this.memory.buffer.byteLength; have < end; have = this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((end - have) / PAGE_BYTES));
    }
    return ptr;
  }

  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, length);
  }

  u32(ptr: number, length: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, ptr, length);
  }

  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, length);
  }
}

export function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

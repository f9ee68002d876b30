/**
 * A bump allocator over one region of a kernel memory. The host lays out every buffer a
 * kernel touches here and passes pointers; kernels never allocate.
 *
 *   base                                                    end (grows)
 *   | params | tables ... | batch buffers (reset per call) |
 *
 * Typed-array views over the memory are made fresh after every allocation, because growing a
 * memory replaces its buffer.
 */
import { MAX_PAGES, PAGE_BYTES } from './module.js';

export class Arena {
  readonly memory: WebAssembly.Memory;
  private top: number;

  constructor(memory: WebAssembly.Memory, base: number) {
    this.memory = memory;
    this.top = align(base, 16);
  }

  /** Reserves `bytes` (16-byte aligned), growing the memory if needed; returns the pointer. */
  alloc(bytes: number): number {
    const ptr = this.top;
    const end = align(ptr + bytes, 16);
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE_BYTES);
      if (have / PAGE_BYTES + pages > MAX_PAGES) {
        throw new RangeError(`a kernel arena of ${end} bytes exceeds the 4 GiB WebAssembly memory`);
      }
      this.memory.grow(pages);
    }
    this.top = end;
    return ptr;
  }

  /** The current top, to {@link release} back to later. */
  mark(): number {
    return this.top;
  }

  /** Frees everything allocated after `mark`. */
  release(mark: number): void {
    this.top = mark;
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

/**
 * How a store's tokens reach kernel memory, the part of the WebAssembly host that moves store
 * bytes: either the whole `.bin` loaded once (`memory`), or, per batch, exactly the token spans
 * of the batch's row plan read into a window (`stream`: positional reads, the operating system's
 * page cache is the cache). Either way every token that enters kernel memory is checked against
 * the vocabulary first (a SIMD pass), so a kernel never sees an id outside `[0, vocabSize)`,
 * even if the store's files changed after they were opened.
 *
 * ```
 *  kernel memory:  | region of store 0 (memory) | region of store 1 | ... | window (stream) |
 *  kernel items:   a = element address of a span's first token (byte address / elemSize)
 * ```
 */
import fs from 'node:fs';
import type { RowPlan } from '../collate/plan.js';
import { MaskpackError } from '../errors.js';
import type { TokenSource, TokenStore } from '../store/types.js';
import { ITEM_SPAN, ITEM_WORDS, type KernelExports } from './abi.js';
import type { Arena } from './arena.js';

/** A store's tokens loaded whole into kernel memory. */
export interface TokenRegion {
  readonly ptr: number;
  /** Bytes per token: 2 (uint16) or 4 (int32). */
  readonly elemSize: 2 | 4;
  readonly numTokens: number;
}

/** Raw `.bin` bytes of one store, by position. */
export interface ByteReader {
  /** The file named in errors. */
  readonly file: string;
  read(position: number, target: Uint8Array): void;
  close(): void;
}

/** How one source's tokens are reached by a kernel host. */
export type SourceTokens =
  | { readonly kind: 'memory'; readonly region: TokenRegion; readonly file: string }
  | { readonly kind: 'stream'; readonly reader: ByteReader; readonly numTokens: number };

/** A reader over a store object (the calling thread's own: `Collator`, the loader without workers). */
export function storeReader(store: TokenStore): ByteReader {
  return { file: binFile(store), read: (position, target) => store.readBytes(position, target), close() {} };
}

/** The `.bin` a store's errors name. */
export function binFile(store: TokenStore): string {
  return store.prefix ? `${store.prefix}.bin` : 'the in-memory store';
}

/**
 * A reader of a {@link TokenSource} for a worker thread: the file opened once (positional reads
 * straight into kernel memory), or the shared memory copied from.
 */
export function sourceReader(source: TokenSource): ByteReader {
  const offset = source.tokenOffset * source.elemSize;
  if (source.kind === 'shared') {
    const bytes = new Uint8Array(source.buffer);
    return { file: 'the in-memory store', read: (position, target) => target.set(bytes.subarray(offset + position, offset + position + target.length)), close() {} };
  }
  let fd = -1;
  return {
    file: source.path,
    read(position, target) {
      try {
        if (fd < 0) fd = fs.openSync(source.path, 'r');
        for (let done = 0; done < target.length;) {
          const n = fs.readSync(fd, target, done, target.length - done, offset + position + done);
          if (n === 0) throw new Error(`unexpected end of file at byte ${offset + position + done}`);
          done += n;
        }
      } catch (err) {
        throw new MaskpackError('ERR_STORE_IO', `${source.path}: ${(err as Error).message}`, { cause: err });
      }
    },
    close() {
      if (fd >= 0) fs.closeSync(fd);
      fd = -1;
    },
  };
}

/** Checks ids in kernel memory: `ERR_STORE_CORRUPT` naming the file and the flat position of the first bad one. */
export class IdCheck {
  constructor(private readonly exports: KernelExports, private readonly arena: Arena, private readonly vocabSize: number) {}

  /** `n` tokens of `elemSize` at `ptr`, which are the store's flat tokens from `firstToken`. */
  check(file: string, ptr: number, n: number, elemSize: 2 | 4, firstToken: number): void {
    if (elemSize === 2 && this.vocabSize > 65535) return; // every uint16 is an id
    const STEP = 1 << 30;
    for (let i = 0; i < n; i += STEP) {
      const m = Math.min(STEP, n - i);
      const at = ptr + i * elemSize;
      const bad = elemSize === 2 ? this.exports.findInvalidU16(at, m, this.vocabSize) : this.exports.findInvalid(at, m, this.vocabSize);
      if (bad >= 0) {
        const v = elemSize === 2 ? new Uint16Array(this.arena.memory.buffer, at + 2 * bad, 1)[0] : new Int32Array(this.arena.memory.buffer, at + 4 * bad, 1)[0];
        throw new MaskpackError('ERR_STORE_CORRUPT', `${file}: token[${firstToken + i + bad}] is ${v}, not below the vocabulary size ${this.vocabSize}`);
      }
    }
  }
}

/**
 * Loads a whole store into a new region of `arena`'s memory in 64 MiB positional reads, and
 * checks every id; the memory must be able to hold it (4 GiB in all).
 */
export function loadRegion(arena: Arena, ids: IdCheck, reader: ByteReader, numTokens: number, elemSize: 2 | 4): TokenRegion {
  const bytes = numTokens * elemSize;
  const ptr = arena.claim(bytes + 16);
  const CHUNK = 64 << 20;
  for (let done = 0; done < bytes; done += CHUNK) {
    const n = Math.min(CHUNK, bytes - done);
    reader.read(done, arena.u8(ptr + done, n));
    ids.check(reader.file, ptr + done, n / elemSize, elemSize, done / elemSize);
  }
  return { ptr, elemSize, numTokens };
}

/**
 * Spans closer than this (in tokens) are read as one range: a row's spans are mostly adjacent
 * (full-sentences rows are one contiguous run with separators between documents).
 */
const MERGE_GAP = 64;

/**
 * Turns a plan's spans into kernel items: addresses in a loaded region, or in a window the
 * streamed spans are read into first (one read per run of nearby spans of a row, in plan order,
 * then the id check over what was read). The window grows with the largest batch seen and is
 * reused; it never holds more than one batch's tokens (plus gaps under {@link MERGE_GAP}).
 */
export class TokenResolver {
  private window = 0;
  private windowBytes = 0;

  constructor(
    private readonly arena: Arena,
    private readonly ids: IdCheck,
    private readonly sources: readonly SourceTokens[],
    readonly elemSize: 2 | 4,
  ) {}

  /** Writes the kernel items of `plan` at `dst` (ITEM_WORDS int32 each); reads what `stream` sources need. */
  resolve(plan: RowPlan, dst: number): void {
    const { items, rowItemStart, rows } = plan;
    const es = this.elemSize;
    const out = this.arena.i32(dst, items.length);
    let need = 0;
    if (this.sources.some((s) => s.kind === 'stream')) need = this.windowNeed(plan);
    if (need > this.windowBytes) {
      this.windowBytes = Math.max(need, Math.ceil(this.windowBytes * 1.5));
      this.window = this.arena.claim(this.windowBytes);
    }
    let w = this.window; // next free byte of the window
    for (let r = 0; r < rows; r++) {
      const source = this.sources[plan.sources ? plan.sources[r] : 0];
      const end = rowItemStart[r + 1];
      for (let k = rowItemStart[r]; k < end; k++) {
        const kind = items[ITEM_WORDS * k];
        out[ITEM_WORDS * k] = kind;
        out[ITEM_WORDS * k + 2] = items[ITEM_WORDS * k + 2];
        if (!(kind & ITEM_SPAN)) {
          out[ITEM_WORDS * k + 1] = items[ITEM_WORDS * k + 1];
          continue;
        }
        const start = items[ITEM_WORDS * k + 1];
        if (source.kind === 'memory') {
          out[ITEM_WORDS * k + 1] = source.region.ptr / es + start;
          continue;
        }
        // A run of this row's spans that lie close together (literals between them): one read.
        let hi = start + items[ITEM_WORDS * k + 2];
        let last = k;
        for (let j = k + 1; j < end; j++) {
          if (!(items[ITEM_WORDS * j] & ITEM_SPAN)) continue;
          const next = items[ITEM_WORDS * j + 1];
          if (next < start || next > hi + MERGE_GAP) break;
          hi = Math.max(hi, next + items[ITEM_WORDS * j + 2]);
          last = j;
        }
        const n = hi - start;
        source.reader.read(start * es, this.arena.u8(w, n * es));
        this.ids.check(source.reader.file, w, n, es, start);
        for (let j = k; j <= last; j++) {
          const at = ITEM_WORDS * j;
          out[at] = items[at];
          out[at + 1] = items[at] & ITEM_SPAN ? w / es + (items[at + 1] - start) : items[at + 1];
          out[at + 2] = items[at + 2];
        }
        w += n * es;
        k = last;
      }
    }
  }

  /** Window bytes the streamed spans of `plan` take (runs counted as read, gaps included), 16-byte rounded. */
  private windowNeed(plan: RowPlan): number {
    let tokens = 0;
    let spans = 0;
    const { items } = plan;
    for (let k = 0; k < items.length; k += ITEM_WORDS) {
      if (items[k] & ITEM_SPAN) {
        tokens += items[k + 2];
        spans++;
      }
    }
    return (tokens + spans * MERGE_GAP) * this.elemSize + 16;
  }
}

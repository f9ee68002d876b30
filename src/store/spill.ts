/**
 * An append-only list of int32 values kept in a temporary file, so the writer's memory does not
 * grow with the number of sentences or documents (Megatron's `.idx` needs all of them at the
 * end, after the tokens).
 *
 * ```
 *  push ──► block (64 Ki values in memory) ──full──► appended to <file>
 *  chunks() ──► the file's blocks, then the partial block
 * ```
 */
import fs from 'node:fs';
import { writeError } from './io-error.js';

const BLOCK = 1 << 16;

export class SpillList {
  readonly file: string;
  private fd: number;
  private block = new Int32Array(BLOCK);
  private used = 0;
  private spilled = 0;

  constructor(file: string) {
    this.file = file;
    this.fd = fs.openSync(file, 'w+');
  }

  /** Number of values pushed. */
  get length(): number {
    return this.spilled + this.used;
  }

  push(v: number): void {
    if (this.used === BLOCK) this.spill();
    this.block[this.used++] = v;
  }

  /** The values in order, in blocks of at most 64 Ki (each view is valid until the next step). */
  *chunks(): Generator<Int32Array> {
    const buf = new Int32Array(BLOCK);
    const bytes = new Uint8Array(buf.buffer);
    for (let pos = 0; pos < this.spilled; pos += BLOCK) {
      const n = Math.min(BLOCK, this.spilled - pos);
      let done = 0;
      while (done < n * 4) done += fs.readSync(this.fd, bytes, done, n * 4 - done, pos * 4 + done);
      yield buf.subarray(0, n);
    }
    if (this.used) yield this.block.subarray(0, this.used);
  }

  /** Close and delete the file (idempotent). */
  dispose(): void {
    if (this.fd >= 0) {
      try { fs.closeSync(this.fd); } catch { /* already closed */ }
      this.fd = -1;
    }
    try { fs.rmSync(this.file, { force: true }); } catch { /* never created */ }
  }

  private spill(): void {
    const bytes = new Uint8Array(this.block.buffer, 0, this.used * 4);
    let done = 0;
    try {
      while (done < bytes.length) done += fs.writeSync(this.fd, bytes, done, bytes.length - done, this.spilled * 4 + done);
    } catch (err) {
      throw writeError(this.file, err);
    }
    this.spilled += this.used;
    this.used = 0;
  }
}

/**
 * Append-only typed arrays that double their capacity: the sample-index builders push millions
 * of samples without per-sample objects. `finish()` returns an exactly sized copy.
 *
 * One class per element type (made by {@link growableOf}), so that every `push` site stays
 * monomorphic: a single generic class would see five typed-array kinds and fall back to
 * megamorphic element stores, several times slower.
 */
type Numeric = Int32Array | Uint32Array | Float64Array | Uint8Array;

export interface Growable<T extends Numeric> {
  length: number;
  push(value: number): void;
  get(i: number): number;
  /** A view of the used part; valid until the next `push` that grows. */
  view(): T;
  /** An exactly sized, independently owned copy. */
  finish(): T;
  /** The same over a SharedArrayBuffer (for indexes that workers read). */
  finishShared(): T;
}

function growableOf<T extends Numeric>(ctor: { new (length: number): T; new (buffer: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number }): new (initialCapacity?: number) => Growable<T> {
  return class implements Growable<T> {
    private data: T;
    length = 0;

    constructor(initialCapacity = 1024) {
      this.data = new ctor(Math.max(16, initialCapacity));
    }

    push(value: number): void {
      if (this.length === this.data.length) {
        const next = new ctor(this.data.length * 2);
        (next as Numeric).set(this.data as never);
        this.data = next;
      }
      this.data[this.length++] = value;
    }

    get(i: number): number {
      return this.data[i];
    }

    view(): T {
      return this.data.subarray(0, this.length) as T;
    }

    finish(): T {
      return this.data.slice(0, this.length) as T;
    }

    finishShared(): T {
      const out = new ctor(new SharedArrayBuffer(this.length * ctor.BYTES_PER_ELEMENT));
      (out as Numeric).set(this.view() as never);
      return out;
    }
  };
}

export const GrowableFloat64 = growableOf(Float64Array);
export const GrowableInt32 = growableOf(Int32Array);
export const GrowableUint32 = growableOf(Uint32Array);
export const GrowableUint8 = growableOf(Uint8Array);

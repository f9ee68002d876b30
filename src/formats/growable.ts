/**
 * Append-only typed arrays that double their capacity: the sample-index builders push millions
 * of samples without per-sample objects. `finish()` returns an exactly sized copy.
 */
type TypedArrayCtor<T> = { new (length: number): T };
type Numeric = Int32Array | Uint32Array | Float64Array | Uint8Array;

export class Growable<T extends Numeric> {
  private data: T;
  length = 0;

  constructor(private readonly ctor: TypedArrayCtor<T>, initialCapacity = 1024) {
    this.data = new ctor(Math.max(16, initialCapacity));
  }

  push(value: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = value;
  }

  /** Element `i` (no bounds check beyond the typed array's). */
  get(i: number): number {
    return this.data[i];
  }

  /** Ensure room for `capacity` elements, keeping the contents. */
  grow(capacity: number): void {
    if (capacity <= this.data.length) return;
    const next = new this.ctor(Math.max(capacity, this.data.length * 2));
    (next as Numeric).set(this.data as never);
    this.data = next;
  }

  /** A view of the used part; valid until the next `push` that grows. */
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }

  /** An exactly sized, independently owned copy. */
  finish(): T {
    return this.data.slice(0, this.length) as T;
  }
}

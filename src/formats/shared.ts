/** Typed arrays over SharedArrayBuffers: sample indexes are posted to workers without copies. */

type Ctor<T> = { new (buffer: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number };

/** A zeroed `length`-element array of `ctor`'s type over a new SharedArrayBuffer. */
export function sharedArray<T>(ctor: Ctor<T>, length: number): T {
  return new ctor(new SharedArrayBuffer(length * ctor.BYTES_PER_ELEMENT));
}

/** `a` itself when it is already over shared memory, else a copy of it over a new SharedArrayBuffer. */
export function toSharedArray<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const out = new (a.constructor as Ctor<T>)(new SharedArrayBuffer(a.byteLength)) as T;
  out.set(a as never);
  return out;
}

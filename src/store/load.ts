/** Loading a whole store's tokens into memory once. */
import type { TokenStore } from './types.js';

/** Options of {@link loadAllTokens}. */
export interface LoadAllTokensOptions {
  /** Back the array with a `SharedArrayBuffer`, so workers can read it without copies (default `false`). */
  readonly shared?: boolean;
}

/**
 * Read every token of `store` into one array of the store's dtype (`Uint16Array` or
 * `Int32Array`), in large positional reads. The caller owns the returned array.
 */
export function loadAllTokens(store: TokenStore, options: LoadAllTokensOptions = {}): Uint16Array | Int32Array {
  if (options.shared !== undefined && typeof options.shared !== 'boolean') {
    throw new TypeError(`options.shared must be a boolean, got ${JSON.stringify(options.shared)}`);
  }
  const width = store.dtype === 'uint16' ? 2 : 4;
  const bytes = store.numTokens * width;
  const buffer = options.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  const CHUNK = 64 << 20;
  for (let pos = 0; pos < bytes; pos += CHUNK) {
    store.readBytes(pos, new Uint8Array(buffer, pos, Math.min(CHUNK, bytes - pos)));
  }
  return store.dtype === 'uint16' ? new Uint16Array(buffer) : new Int32Array(buffer);
}

/**
 * Runtime failures, in one table. Option mistakes are `TypeError` / `RangeError` thrown at the
 * public boundary; everything that goes wrong later (a bad file, a kernel status, a dead worker)
 * is a {@link MaskpackError} with a stable `code`.
 *
 * Errors that cross a worker boundary travel as `{ code, message }` and are rebuilt with
 * {@link fromWire}, because structured clone drops the subclass.
 */
export const ERROR_CODES = {
  ERR_BAD_INPUT: 'input data is invalid',
  ERR_KERNEL: 'a WebAssembly kernel reported a failure',
  ERR_STORE_CORRUPT: 'a token store file is malformed',
  ERR_STORE_IO: 'a token store file could not be read or written',
  ERR_EXPORT_IO: 'an export file could not be written',
  ERR_WORKER: 'a worker failed',
  ERR_CLOSED: 'the object was closed',
  ERR_MISSING_PACKAGE: 'an optional package that this feature needs is not installed',
  ERR_STREAM_IO: 'the stream of batches could not be written',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class MaskpackError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MaskpackError';
    this.code = code;
  }
}

/** What crosses a thread boundary for an error. */
export interface WireError {
  code: ErrorCode;
  message: string;
}

export function toWire(err: unknown): WireError {
  if (err instanceof MaskpackError) return { code: err.code, message: err.message };
  return { code: 'ERR_WORKER', message: err instanceof Error ? err.message : String(err) };
}

export function fromWire(wire: WireError, context?: string): MaskpackError {
  const code = wire.code in ERROR_CODES ? wire.code : 'ERR_WORKER';
  return new MaskpackError(code, context ? `${context}: ${wire.message}` : wire.message);
}

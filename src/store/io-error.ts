/** A failed write to a store file, as a named `ERR_STORE_IO` error. */
import { MaskpackError } from '../errors.js';

/**
 * `err` (a failed `fs` call: ENOSPC, EFBIG, EIO …) as an `ERR_STORE_IO` error whose message starts
 * with `file`, the temporary being written, and keeps the system error's code and text (the
 * system error is its `cause`). A `MaskpackError` is returned unchanged.
 */
export function writeError(file: string, err: unknown): MaskpackError {
  if (err instanceof MaskpackError) return err;
  const e = err as NodeJS.ErrnoException;
  const reason = e?.code === 'ENOSPC' ? 'no space left on the device' : e?.code === 'EFBIG' ? 'the file size limit was reached' : 'the write failed';
  return new MaskpackError('ERR_STORE_IO', `${file}: cannot write, ${reason} (${e?.message ?? String(err)})`, { cause: err });
}

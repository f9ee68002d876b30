/**
 * The export folder before an export writes to it, and its I/O errors: what is cleared so that
 * nothing left from earlier runs can pass for part of the new export.
 */
import { mkdirSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MaskpackError } from '../errors.js';
import { removeStaleTemporaries } from '../stale.js';

/** Base names of every file an epoch folder may hold (`<name>.npy`). */
export const EXPORT_FILES = [
  'input_ids', 'attention_mask', 'labels', 'token_type_ids', 'next_sentence_label', 'source_ids', 'batch_offsets', 'batch_shapes',
  'position_ids', 'cu_seqlens', 'masked_positions', 'masked_ids', 'masked_weights', 'masked_row_start',
] as const;

const EPOCH_FOLDER = /^epoch-(0|[1-9]\d*)$/;
/** `<name>.npy.tmp-<pid>` and `options.json.tmp-<pid>`, as `NpyWriter` and the export name them. */
const TEMPORARY = /^(?:[^/]+\.npy|options\.json)\.tmp-(\d+)$/;

function temporaryPid(name: string): number | undefined {
  const m = TEMPORARY.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * `f()`, with a file-system error (one with an errno `code`: `ENOSPC`, `EACCES`, `ENOTDIR` …)
 * turned into `ERR_EXPORT_IO` naming `path`; other errors pass unchanged.
 */
export function exportIoError<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof MaskpackError || !(err instanceof Error) || typeof (err as NodeJS.ErrnoException).code !== 'string') throw err;
    throw new MaskpackError('ERR_EXPORT_IO', `cannot write ${path}: ${err.message}`, { cause: err });
  }
}

/**
 * Prepares `outDir` for an export of epochs `[first, first + epochs)`: creates it, removes its
 * `options.json` (so the folder is not complete until this export is), the temporaries of runs
 * whose process is gone (killed exports), and the export files of every other `epoch-<e>`
 * folder (an earlier export's epochs must not sit beside the new `options.json`); such a folder
 * is removed once empty, one holding other files is left with them.
 */
export function clearFolder(outDir: string, first: number, epochs: number): void {
  exportIoError(outDir, () => mkdirSync(outDir, { recursive: true }));
  rmSync(join(outDir, 'options.json'), { force: true });
  removeStaleTemporaries(outDir, temporaryPid);
  for (const name of readdirSync(outDir)) {
    const m = EPOCH_FOLDER.exec(name);
    const dir = join(outDir, name);
    if (!m || !statSync(dir).isDirectory()) continue;
    removeStaleTemporaries(dir, temporaryPid);
    const epoch = Number(m[1]);
    if (epoch >= first && epoch < first + epochs) continue;
    for (const file of EXPORT_FILES) rmSync(join(dir, `${file}.npy`), { force: true });
    try {
      rmdirSync(dir);
    } catch {
      // holds files that are not the export's: left in place, without the export's files
    }
  }
}

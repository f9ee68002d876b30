/**
 * How an export lays out the rows of an epoch (`width`) and in which integer type (`dtype`).
 *
 *   'seq-len'  every row padded to seqLen: arrays (rows, seqLen), as the loader with pad 'max'
 *   'epoch'    the loader's batches, every row padded to the width of the epoch's widest batch
 *              (as the pad policy makes it): arrays (rows, width)
 *   'batch'    the loader's batches exactly as it pads them: flat arrays (positions,), batch
 *              after batch, each row-major (rows_b, width_b), with batch_shapes.npy
 *
 * With `layout: 'packed'` there is no width: every per-token file is flat (T_epoch,), the rows
 * back to back, with cu_seqlens.npy.
 *
 * The default is 'batch' for sentence-pair, whose rows average 14% of seqLen on SOTU (at 512)
 * while nearly every epoch has a row of seqLen, so any one width per epoch is mostly padding;
 * 'epoch' for the other formats, whose rows nearly fill seqLen.
 */
import type { FormatName } from '../formats/types.js';
import type { LoaderOptions, ResolvedLoaderOptions } from '../loader/options.js';
import { createSampler, type MixtureSource } from '../sampler/index.js';
import { checkEnum, checkOptionsObject, describe, optionError } from '../validate.js';
import type { NpyDtype } from './npy.js';

export type ExportWidth = 'seq-len' | 'epoch' | 'batch';

/** Options of {@link exportBatches}: the loader's, and the layout of the files. */
export interface ExportOptions extends LoaderOptions {
  /** Row layout; default `'batch'` for sentence-pair, `'epoch'` otherwise (see `layout.ts` and the README). */
  width?: ExportWidth;
  /** Integer type of every array; default `'int32'`. `'int64'` loads as `torch.long`. */
  dtype?: NpyDtype;
}

export interface ExportLayout {
  /** null with `layout: 'packed'`: packed files are flat (T_epoch,), without a row width. */
  readonly width: ExportWidth | null;
  readonly dtype: NpyDtype;
  /** What the loader is given (pad 'max' for 'seq-len'). */
  readonly loader: LoaderOptions;
}

const WIDTHS: readonly ExportWidth[] = ['seq-len', 'epoch', 'batch'];

/**
 * Validates the layout options and splits them from the loader's.
 * @throws TypeError / RangeError naming the option (`pad` and `padToMultipleOf` do not apply to `'seq-len'`).
 */
export function resolveExportLayout(options: unknown): ExportLayout {
  const { width: w, dtype: d, ...loader } = checkOptionsObject(options) as ExportOptions;
  const format: FormatName = loader.format ?? 'full-sentences';
  const dtype = checkEnum('options.dtype', d ?? 'int32', ['int32', 'int64'] as const);
  if (loader.layout === 'packed') {
    if (w !== undefined) throw optionError(RangeError, ['options.width', 'options.layout'], (n, l) => `${n} does not apply with ${l} packed (packed files are flat, (T_epoch,)), got ${describe(w)}`);
    return { width: null, dtype, loader };
  }
  const width = checkEnum('options.width', w ?? (format === 'sentence-pair' ? 'batch' : 'epoch'), WIDTHS);
  if (width === 'seq-len') {
    for (const key of ['pad', 'padToMultipleOf'] as const) {
      if (loader[key] !== undefined) throw new RangeError(`options.${key} does not apply with options.width 'seq-len' (every row is padded to seqLen), got ${describe(loader[key])}`);
    }
    return { width, dtype, loader: { ...loader, pad: 'max' } };
  }
  return { width, dtype, loader };
}

/**
 * The file width of `epoch` for the 'epoch' layout: the widest of its global batches (each as the
 * pad policy makes it), the same on every rank, so ranks' files concatenate.
 */
export function epochWidth(sources: readonly MixtureSource[], checked: Pick<ResolvedLoaderOptions, 'sampler' | 'mixture'>, epoch: number): number {
  const s = createSampler(sources, { ...checked.sampler, ...checked.mixture, epoch });
  let widest = 0;
  for (let b = 0; b < s.numBatches(epoch); b++) widest = Math.max(widest, s.batch(epoch, b).width);
  return widest;
}

/** `array`'s rows of `from` values, each padded with `fill` to `to` values (a fresh array; `array` itself when `to === from`). */
export function widenRows(array: Int32Array, rows: number, from: number, to: number, fill: number): Int32Array {
  if (to === from) return array;
  const out = new Int32Array(rows * to).fill(fill);
  for (let r = 0; r < rows; r++) out.set(array.subarray(r * from, (r + 1) * from), r * to);
  return out;
}

/**
 * Exports masked batches as numpy files, one folder per epoch, loadable by numpy and PyTorch
 * (every array int32, or int64 with `dtype: 'int64'`):
 *
 *   OUT/options.json                      what decides the bytes: options, store, versions
 *   OUT/epoch-<e>/input_ids.npy           (rows, W), or (positions,) with width 'batch'
 *                 attention_mask.npy      (rows, W) / (positions,)
 *                 labels.npy              (rows, W) / (positions,)
 *                 token_type_ids.npy      (rows, W) / (positions,), pair formats
 *                 next_sentence_label.npy (rows,), pair formats
 *                 source_ids.npy          (rows,), mixtures: each row's source
 *                 batch_offsets.npy       (batches,): first row of each batch
 *                 batch_shapes.npy        (batches, 2): rows and width of each batch, width 'batch'
 *
 * W is seqLen or the epoch's widest batch (`width`, see `layout.ts`). Files are written under
 * temporary names and renamed when their epoch is complete; a failed export removes its temporaries.
 *
 * Completeness: `options.json` is the marker. An export removes, before it starts, any earlier
 * `options.json`, the files it is about to write, the epoch folders of an earlier export that it
 * will not write, and the temporaries of killed runs; it writes `options.json` last, atomically
 * (temporary name, then rename), once every epoch is in place. A folder without `options.json`
 * is an unfinished, failed or interrupted export, whatever epoch folders it holds.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLoader } from '../loader/loader.js';
import { resolveLoaderOptions } from '../loader/options.js';
import { createSampler, toSources, type MixtureSource } from '../sampler/index.js';
import type { TokenStore } from '../store/types.js';
import { epochWidth, resolveExportLayout, widenRows, type ExportOptions } from './layout.js';
import { NpyWriter, type NpyDtype } from './npy.js';
import { exportRecord } from './record.js';
import { clearFolder, EXPORT_FILES, exportIoError } from './folder.js';

/** What one source of a mixture contributed to an epoch. */
export interface SourceShare {
  rows: number;
  /** Real (non-padding) tokens. */
  tokens: number;
  rowShare: number;
  tokenShare: number;
}

/**
 * One exported epoch: rows, batches, real (non-padding) tokens, its folder and the row width of
 * its files (null for width 'batch'); mixtures: each source's realized share.
 */
export interface ExportedEpoch { epoch: number; rows: number; batches: number; tokens: number; dir: string; width: number | null; sources?: SourceShare[] }

export interface ExportSummary {
  /** Per epoch: rows, batches, real (non-padding) tokens and the folder. */
  epochs: ExportedEpoch[];
  /** Positions written over all epochs, padding included. */
  tokens: number;
  /** Mixtures: the normalised weight of each source as used. */
  weights?: readonly number[];
}

/** What an export reports as it goes, and how to stop it. */
export interface ExportControl {
  /** Called with each batch's rows and epoch once the batch is written. */
  onBatch?: (rows: number, epoch: number) => void;
  /** Called when an epoch's files are in place (complete, under their final names). */
  onEpoch?: (epoch: ExportedEpoch) => void;
  /**
   * Stops the export between two batches: its temporaries are removed, the epochs already
   * complete stay, no `options.json` is written, and the promise rejects with `signal.reason`.
   */
  signal?: AbortSignal;
}

/**
 * Exports `epochs` epochs (default 1) starting at `options.epoch` to `outDir`. Options are
 * validated before anything is written; `control` is a progress callback (`onBatch`) or an
 * {@link ExportControl}. Rejects (TypeError / RangeError for options, MaskpackError for a failed
 * batch, `ERR_EXPORT_IO` naming the file when one cannot be written, `signal.reason` when
 * stopped) leaving no `options.json`.
 */
export async function exportBatches(
  input: TokenStore | readonly MixtureSource[], outDir: string, options: ExportOptions = {}, control: ExportControl | ExportControl['onBatch'] = {},
): Promise<ExportSummary> {
  const { onBatch, onEpoch, signal } = typeof control === 'function' ? { onBatch: control } as ExportControl : control;
  const sources = toSources(input);
  const store = sources[0].store;
  const mixture = sources.length > 1;
  const layout = resolveExportLayout(options);
  const checked = resolveLoaderOptions(store, layout.loader);
  // Resolved as the loader's sampler resolves them (the default token budget depends on the store).
  const sampler = createSampler(sources, { ...checked.sampler, ...checked.mixture }).options;
  const epochs = options.epochs ?? 1;
  const first = options.epoch ?? 0;
  const seqLen = options.seqLen ?? 512;
  const { dtype } = layout;
  /** What widened rows are padded with, per array. */
  const fill: Record<string, number> = { input_ids: store.specials.pad, attention_mask: 0, labels: checked.mask.ignoreIndex, token_type_ids: 0 };
  const marker = join(outDir, 'options.json');
  signal?.throwIfAborted();
  clearFolder(outDir, first, epochs);
  const summary: ExportSummary = { epochs: [], tokens: 0 };
  for (let epoch = first; epoch < first + epochs; epoch++) {
    signal?.throwIfAborted();
    const dir = join(outDir, `epoch-${epoch}`);
    exportIoError(dir, () => mkdirSync(dir, { recursive: true }));
    for (const name of EXPORT_FILES) rmSync(join(dir, `${name}.npy`), { force: true });
    const width = layout.width === 'batch' ? null : layout.width === 'seq-len' ? seqLen : epochWidth(sources, checked, epoch);
    const loader = createLoader(sources, { ...layout.loader, epoch, epochs: 1 });
    summary.weights ??= mixture ? loader.weights : undefined;
    const pair = (options.format ?? 'full-sentences').endsWith('pair');
    const names = ['input_ids', 'attention_mask', 'labels', ...(pair ? ['token_type_ids'] : [])];
    const writers = new Map<string, NpyWriter>();
    let nsp: NpyWriter | undefined;
    let sourceIds: NpyWriter | undefined;
    const shares = sources.map(() => ({ rows: 0, tokens: 0 }));
    const offsets: number[] = [];
    const shapes: number[] = [];
    let rows = 0;
    let tokens = 0;
    try {
      for (const n of names) writers.set(n, npyWriter(join(dir, `${n}.npy`), width === null ? [] : [width], dtype));
      if (pair) nsp = npyWriter(join(dir, 'next_sentence_label.npy'), [], dtype);
      if (mixture) sourceIds = npyWriter(join(dir, 'source_ids.npy'), [], dtype);
      for await (const batch of loader) {
        signal?.throwIfAborted();
        const [B, L] = batch.shape;
        offsets.push(rows);
        shapes.push(B, L);
        const rowsOf = (name: string, array: Int32Array) => append(writers.get(name)!, width === null ? array : widenRows(array, B, L, width, fill[name]));
        rowsOf('input_ids', batch.inputIds);
        rowsOf('attention_mask', batch.attentionMask);
        rowsOf('labels', batch.labels);
        if (pair) {
          rowsOf('token_type_ids', batch.tokenTypeIds!);
          append(nsp!, batch.nextSentenceLabel!);
        }
        if (sourceIds) append(sourceIds, batch.sourceIds!);
        for (let r = 0; r < B; r++) {
          let real = 0;
          for (let p = r * L; p < (r + 1) * L; p++) real += batch.attentionMask[p];
          tokens += real;
          const share = shares[batch.sourceIds ? batch.sourceIds[r] : 0];
          share.rows++;
          share.tokens += real;
        }
        rows += B;
        summary.tokens += B * (width ?? L);
        onBatch?.(batch.shape[0], epoch);
        loader.recycle(batch); // on disk now: its buffers can carry a later batch
      }
      signal?.throwIfAborted();
      const offsetsWriter = npyWriter(join(dir, 'batch_offsets.npy'), [], dtype);
      writers.set('batch_offsets', offsetsWriter);
      append(offsetsWriter, Int32Array.from(offsets));
      if (width === null) {
        const shapesWriter = npyWriter(join(dir, 'batch_shapes.npy'), [2], dtype);
        writers.set('batch_shapes', shapesWriter);
        append(shapesWriter, Int32Array.from(shapes));
      }
      for (const w of [...writers.values(), ...(nsp ? [nsp] : []), ...(sourceIds ? [sourceIds] : [])]) exportIoError(w.path, () => w.finish());
    } catch (err) {
      for (const w of writers.values()) w.abort();
      nsp?.abort();
      sourceIds?.abort();
      for (const name of EXPORT_FILES) rmSync(join(dir, `${name}.npy`), { force: true }); // some may be in place already
      throw err;
    } finally {
      await loader.close();
    }
    const realized = mixture ? shares.map((x) => ({ ...x, rowShare: x.rows / Math.max(1, rows), tokenShare: x.tokens / Math.max(1, tokens) })) : undefined;
    const done: ExportedEpoch = { epoch, rows, batches: offsets.length, tokens, dir, width, ...(realized ? { sources: realized } : {}) };
    summary.epochs.push(done);
    onEpoch?.(done);
  }
  const tmp = `${marker}.tmp-${process.pid}`;
  exportIoError(marker, () => {
    try {
      const record = exportRecord(store, sampler, checked.mask, options, first, epochs, layout);
      const mixed = mixture ? { ...record, mixture: mixtureRecord(sources, summary.weights!), mixOptions: { mixAlpha: options.mixAlpha ?? null, mixEpochSamples: options.mixEpochSamples ?? null } } : record;
      writeFileSync(tmp, JSON.stringify(mixed, null, 2) + '\n');
      renameSync(tmp, marker);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  });
  return summary;
}

function npyWriter(path: string, rowShape: readonly number[], dtype: NpyDtype): NpyWriter {
  return exportIoError(path, () => new NpyWriter(path, rowShape, dtype));
}

function append(writer: NpyWriter, array: Int32Array): void {
  exportIoError(writer.path, () => writer.append(array));
}

/** A mixture in `options.json`: per source its prefix, the weight as given and as used, and its manifest's checksums and counts. */
function mixtureRecord(sources: readonly MixtureSource[], weights: readonly number[]): object[] {
  return sources.map((s, i) => {
    const manifest = (s.store as { manifest?: { sha256?: unknown; counts?: unknown } }).manifest;
    return { prefix: s.store.prefix, weight: s.weight ?? null, weightUsed: weights[i], sha256: manifest?.sha256 ?? null, counts: manifest?.counts ?? null };
  });
}

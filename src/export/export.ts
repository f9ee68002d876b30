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
 * Other batch forms (`layout`, `labels`, see `src/batch.ts`): packed, the per-token files are
 * (T_epoch,), the rows back to back, with position_ids.npy and cu_seqlens.npy (rows + 1,: row
 * offsets into the epoch's tokens) and no attention_mask.npy or batch_shapes.npy; sparse, no
 * labels.npy but masked_positions.npy / masked_ids.npy (M_epoch,: positions into the epoch's
 * raveled input_ids.npy) and masked_row_start.npy (rows + 1,), or with `maxPredictions` N
 * masked_positions / masked_ids / masked_weights (rows, N) (row-local; weights float32).
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
import { mkdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLoader } from '../loader/loader.js';
import { resolveLoaderOptions } from '../loader/options.js';
import { createSampler, toSources, type MixtureSource } from '../sampler/index.js';
import { MaskpackError } from '../errors.js';
import type { TokenStore } from '../store/types.js';
import { I32_MAX } from '../validate.js';
import { epochWidth, resolveExportLayout, widenRows, type ExportOptions } from './layout.js';
import { NpyWriter, type NpyWriterDtype } from './npy.js';
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
    const packed = checked.form.layout === 'packed';
    const sparse = checked.form.labels === 'sparse';
    const N = checked.form.maxPredictions;
    const width = packed || layout.width === 'batch' ? null : layout.width === 'seq-len' ? seqLen : epochWidth(sources, checked, epoch);
    const loader = createLoader(sources, { ...layout.loader, epoch, epochs: 1 });
    summary.weights ??= mixture ? loader.weights : undefined;
    const pair = (options.format ?? 'full-sentences').endsWith('pair');
    /** The per-token arrays: (rows, W) or flat (positions,) padded, (T_epoch,) packed. */
    const names = ['input_ids', packed ? 'position_ids' : 'attention_mask', ...(sparse ? [] : ['labels']), ...(pair ? ['token_type_ids'] : [])];
    const writers = new Map<string, NpyWriter>();
    const shares = sources.map(() => ({ rows: 0, tokens: 0 }));
    const offsets: number[] = [];
    const shapes: number[] = [];
    let rows = 0;
    let tokens = 0;
    /** Positions written to the epoch's per-token files so far (T_epoch when packed). */
    let positions = 0;
    /** Masked positions listed so far (sparse). */
    let masked = 0;
    const writer = (name: string, rowShape: readonly number[], type: NpyWriterDtype = dtype): NpyWriter => {
      const w = npyWriter(join(dir, `${name}.npy`), rowShape, type);
      writers.set(name, w);
      return w;
    };
    try {
      for (const n of names) writer(n, width === null ? [] : [width]);
      if (pair) writer('next_sentence_label', []);
      if (mixture) writer('source_ids', []);
      if (packed) append(writer('cu_seqlens', []), Int32Array.of(0));
      if (sparse) {
        writer('masked_positions', N === undefined ? [] : [N]);
        writer('masked_ids', N === undefined ? [] : [N]);
        if (N !== undefined) writer('masked_weights', [N], 'float32');
        append(writer('masked_row_start', []), Int32Array.of(0));
      }
      for await (const batch of loader) {
        signal?.throwIfAborted();
        const B = batch.sampleIds.length;
        offsets.push(rows);
        const write = (name: string, array: Int32Array | Float32Array) => append(writers.get(name)!, array);
        let rowLength: (r: number) => number;
        /** Row r's first position in the epoch's raveled per-token files. */
        let rowAt: (r: number) => number;
        if (batch.layout === 'packed') {
          const cu = batch.cuSeqlens;
          shapes.push(B, batch.maxSeqlen);
          write('input_ids', batch.inputIds);
          write('position_ids', batch.positionIds);
          if (batch.labels) write('labels', batch.labels);
          if (pair) write('token_type_ids', batch.tokenTypeIds!);
          write('cu_seqlens', shifted(cu.subarray(1), positions));
          rowLength = (r) => cu[r + 1] - cu[r];
          const base = positions;
          rowAt = (r) => base + cu[r];
          positions += cu[B];
        } else {
          const L = batch.shape[1];
          const W = width ?? L;
          shapes.push(B, L);
          const rowsOf = (name: string, array: Int32Array) => write(name, width === null ? array : widenRows(array, B, L, width, fill[name]));
          rowsOf('input_ids', batch.inputIds);
          rowsOf('attention_mask', batch.attentionMask);
          if (batch.labels) rowsOf('labels', batch.labels);
          if (pair) rowsOf('token_type_ids', batch.tokenTypeIds!);
          const mask = batch.attentionMask;
          rowLength = (r) => {
            let real = 0;
            for (let p = r * L; p < (r + 1) * L; p++) real += mask[p];
            return real;
          };
          const base = positions;
          rowAt = (r) => base + r * W;
          positions += B * W;
        }
        if (batch.maskedIds !== undefined) {
          const start = batch.maskedRowStart;
          if (batch.maxPredictions === undefined) {
            // Flat positions into the batch become positions into the epoch's raveled files.
            const flat = new Int32Array(batch.maskedPositions.length);
            const L = batch.layout === 'packed' ? 0 : batch.shape[1];
            for (let r = 0; r < B; r++) {
              const from = batch.layout === 'packed' ? batch.cuSeqlens[r] : r * L;
              const to = rowAt(r) - from;
              for (let k = start[r]; k < start[r + 1]; k++) flat[k] = batch.maskedPositions[k] + to;
              if (start[r + 1] > start[r] && batch.maskedPositions[start[r + 1] - 1] + to > I32_MAX) throw tooLarge();
            }
            write('masked_positions', flat);
          } else {
            write('masked_positions', batch.maskedPositions);
            write('masked_weights', batch.maskedWeights!);
          }
          write('masked_ids', batch.maskedIds);
          write('masked_row_start', shifted(start.subarray(1), masked));
          masked += start[B];
        }
        if (pair) write('next_sentence_label', batch.nextSentenceLabel!);
        if (mixture) write('source_ids', batch.sourceIds!);
        for (let r = 0; r < B; r++) {
          const real = rowLength(r);
          tokens += real;
          const share = shares[batch.sourceIds ? batch.sourceIds[r] : 0];
          share.rows++;
          share.tokens += real;
        }
        rows += B;
        onBatch?.(B, epoch);
        loader.recycle(batch); // on disk now: its buffers can carry a later batch
      }
      summary.tokens += positions;
      signal?.throwIfAborted();
      append(writer('batch_offsets', []), Int32Array.from(offsets));
      if (width === null && !packed) append(writer('batch_shapes', [2]), Int32Array.from(shapes));
      for (const w of writers.values()) exportIoError(w.path, () => w.finish());
    } catch (err) {
      for (const w of writers.values()) w.abort();
      for (const name of EXPORT_FILES) rmSync(join(dir, `${name}.npy`), { force: true }); // some may be in place already
      try {
        rmdirSync(dir); // the epoch's folder, unless it holds files of someone else's
      } catch {
        // not empty, or gone: leave it
      }
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
      const record = exportRecord(store, sampler, checked.mask, options, first, epochs, layout, checked.form);
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

function npyWriter(path: string, rowShape: readonly number[], dtype: NpyWriterDtype): NpyWriter {
  return exportIoError(path, () => new NpyWriter(path, rowShape, dtype));
}

function append(writer: NpyWriter, array: Int32Array | Float32Array): void {
  exportIoError(writer.path, () => writer.append(array));
}

/** `array` + `by`, a fresh array; refuses offsets past int32 (the files' offsets are int32 values). */
function shifted(array: Int32Array, by: number): Int32Array {
  if (array.length > 0 && array[array.length - 1] + by > I32_MAX) throw tooLarge();
  const out = new Int32Array(array.length);
  for (let i = 0; i < array.length; i++) out[i] = array[i] + by;
  return out;
}

function tooLarge(): MaskpackError {
  return new MaskpackError('ERR_BAD_INPUT', `an epoch's offsets (cu_seqlens, masked_positions, masked_row_start) pass 2^31 - 1, which int32 offsets cannot hold; export each rank's share separately (--rank / --world-size)`);
}

/** A mixture in `options.json`: per source its prefix, the weight as given and as used, and its manifest's checksums and counts. */
function mixtureRecord(sources: readonly MixtureSource[], weights: readonly number[]): object[] {
  return sources.map((s, i) => {
    const manifest = (s.store as { manifest?: { sha256?: unknown; counts?: unknown } }).manifest;
    return { prefix: s.store.prefix, weight: s.weight ?? null, weightUsed: weights[i], sha256: manifest?.sha256 ?? null, counts: manifest?.counts ?? null };
  });
}

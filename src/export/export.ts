/**
 * Exports masked batches as numpy files, one folder per epoch, loadable by numpy and PyTorch:
 *
 *   OUT/options.json                      what decides the bytes: options, store, versions
 *   OUT/epoch-<e>/input_ids.npy           int32 (rows, seqLen)
 *                 attention_mask.npy      int32 (rows, seqLen)
 *                 labels.npy              int32 (rows, seqLen)
 *                 token_type_ids.npy      int32 (rows, seqLen), pair formats
 *                 next_sentence_label.npy int32 (rows,), pair formats
 *                 source_ids.npy          int32 (rows,), mixtures: each row's source
 *                 batch_offsets.npy       int32 (batches,): first row of each batch
 *
 * Rows are padded to `seqLen` so batches concatenate. Files are written under temporary names
 * and renamed when their epoch is complete; a failed export removes its temporaries.
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
import { resolveLoaderOptions, type LoaderOptions } from '../loader/options.js';
import { resolveSamplerOptions } from '../sampler/options.js';
import { toSources, type MixtureSource } from '../sampler/index.js';
import type { TokenStore } from '../store/types.js';
import { NpyWriter } from './npy.js';
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

/** One exported epoch: rows, batches, real (non-padding) tokens and its folder; mixtures: each source's realized share. */
export interface ExportedEpoch { epoch: number; rows: number; batches: number; tokens: number; dir: string; sources?: SourceShare[] }

export interface ExportSummary {
  /** Per epoch: rows, batches, real (non-padding) tokens and the folder. */
  epochs: ExportedEpoch[];
  /** Positions written over all epochs: rows × seqLen, padding included. */
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
  input: TokenStore | readonly MixtureSource[], outDir: string, options: LoaderOptions = {}, control: ExportControl | ExportControl['onBatch'] = {},
): Promise<ExportSummary> {
  const { onBatch, onEpoch, signal } = typeof control === 'function' ? { onBatch: control } as ExportControl : control;
  const sources = toSources(input);
  const store = sources[0].store;
  const mixture = sources.length > 1;
  const checked = resolveLoaderOptions(store, { ...options, pad: 'max' });
  const sampler = resolveSamplerOptions(checked.sampler, store.prefix);
  const epochs = options.epochs ?? 1;
  const first = options.epoch ?? 0;
  const seqLen = options.seqLen ?? 512;
  const marker = join(outDir, 'options.json');
  signal?.throwIfAborted();
  clearFolder(outDir, first, epochs);
  const summary: ExportSummary = { epochs: [], tokens: 0 };
  for (let epoch = first; epoch < first + epochs; epoch++) {
    signal?.throwIfAborted();
    const dir = join(outDir, `epoch-${epoch}`);
    exportIoError(dir, () => mkdirSync(dir, { recursive: true }));
    for (const name of EXPORT_FILES) rmSync(join(dir, `${name}.npy`), { force: true });
    const loader = createLoader(sources, { ...options, pad: 'max', epoch, epochs: 1 });
    summary.weights ??= mixture ? loader.weights : undefined;
    const pair = (options.format ?? 'full-sentences').endsWith('pair');
    const names = ['input_ids', 'attention_mask', 'labels', ...(pair ? ['token_type_ids'] : [])];
    const writers = new Map<string, NpyWriter>();
    let nsp: NpyWriter | undefined;
    let sourceIds: NpyWriter | undefined;
    const shares = sources.map(() => ({ rows: 0, tokens: 0 }));
    const offsets: number[] = [];
    let rows = 0;
    let tokens = 0;
    try {
      for (const n of names) writers.set(n, npyWriter(join(dir, `${n}.npy`), [seqLen]));
      if (pair) nsp = npyWriter(join(dir, 'next_sentence_label.npy'), []);
      if (mixture) sourceIds = npyWriter(join(dir, 'source_ids.npy'), []);
      for await (const batch of loader) {
        signal?.throwIfAborted();
        offsets.push(rows);
        append(writers.get('input_ids')!, batch.inputIds);
        append(writers.get('attention_mask')!, batch.attentionMask);
        append(writers.get('labels')!, batch.labels);
        if (pair) {
          append(writers.get('token_type_ids')!, batch.tokenTypeIds!);
          append(nsp!, batch.nextSentenceLabel!);
        }
        if (sourceIds) append(sourceIds, batch.sourceIds!);
        const [B, L] = batch.shape;
        for (let r = 0; r < B; r++) {
          let real = 0;
          for (let p = r * L; p < (r + 1) * L; p++) real += batch.attentionMask[p];
          tokens += real;
          const share = shares[batch.sourceIds ? batch.sourceIds[r] : 0];
          share.rows++;
          share.tokens += real;
        }
        rows += B;
        summary.tokens += B * L;
        onBatch?.(batch.shape[0], epoch);
        loader.recycle(batch); // on disk now: its buffers can carry a later batch
      }
      signal?.throwIfAborted();
      const offsetsWriter = npyWriter(join(dir, 'batch_offsets.npy'), []);
      writers.set('batch_offsets', offsetsWriter);
      append(offsetsWriter, Int32Array.from(offsets));
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
    const done: ExportedEpoch = { epoch, rows, batches: offsets.length, tokens, dir, ...(realized ? { sources: realized } : {}) };
    summary.epochs.push(done);
    onEpoch?.(done);
  }
  const tmp = `${marker}.tmp-${process.pid}`;
  exportIoError(marker, () => {
    try {
      const record = exportRecord(store, sampler, checked.mask, options, first, epochs);
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

function npyWriter(path: string, rowShape: readonly number[]): NpyWriter {
  return exportIoError(path, () => new NpyWriter(path, rowShape));
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

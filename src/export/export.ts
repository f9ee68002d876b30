/**
 * Exports masked batches as numpy files, one folder per epoch, loadable by numpy and PyTorch:
 *
 *   OUT/options.json                      every option of the export (to reproduce it)
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
 * Completeness: `options.json` is the marker. An export removes any earlier `options.json` and
 * the files it is about to write before it starts, and writes `options.json` last, atomically
 * (temporary name, then rename), once every epoch is in place. A folder without `options.json`
 * is an unfinished or failed export, whatever epoch folders it holds.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLoader } from '../loader/loader.js';
import { resolveLoaderOptions, type LoaderOptions } from '../loader/options.js';
import { resolveSamplerOptions } from '../sampler/options.js';
import { toSources, type MixtureSource } from '../sampler/index.js';
import type { TokenStore } from '../store/types.js';
import { NpyWriter } from './npy.js';

/** What one source of a mixture contributed to an epoch. */
export interface SourceShare {
  rows: number;
  /** Real (non-padding) tokens. */
  tokens: number;
  rowShare: number;
  tokenShare: number;
}

export interface ExportSummary {
  /** Per epoch: rows, batches, real (non-padding) tokens and the folder; mixtures: each source's realized share. */
  epochs: { epoch: number; rows: number; batches: number; tokens: number; dir: string; sources?: SourceShare[] }[];
  /** Positions written over all epochs: rows × seqLen, padding included. */
  tokens: number;
  /** Mixtures: the normalised weight of each source as used. */
  weights?: readonly number[];
}

const FILES = ['input_ids', 'attention_mask', 'labels', 'token_type_ids', 'next_sentence_label', 'source_ids', 'batch_offsets'];

/**
 * Exports `epochs` epochs (default 1) starting at `options.epoch` to `outDir`. Options are
 * validated before anything is written; `onBatch` is called with each batch's rows and epoch.
 * Rejects (TypeError / RangeError for options, MaskpackError for a failed batch) leaving no
 * `options.json`.
 */
export async function exportBatches(
  store: TokenStore | readonly MixtureSource[], outDir: string, options: LoaderOptions = {}, onBatch?: (rows: number, epoch: number) => void,
): Promise<ExportSummary> {
  const sources = toSources(store);
  const mixture = sources.length > 1;
  const checked = resolveLoaderOptions(sources[0].store, { ...options, pad: 'max' });
  resolveSamplerOptions(checked.sampler, sources[0].store.prefix);
  const epochs = options.epochs ?? 1;
  const first = options.epoch ?? 0;
  const seqLen = options.seqLen ?? 512;
  const marker = join(outDir, 'options.json');
  mkdirSync(outDir, { recursive: true });
  rmSync(marker, { force: true });
  const summary: ExportSummary = { epochs: [], tokens: 0 };
  for (let epoch = first; epoch < first + epochs; epoch++) {
    const dir = join(outDir, `epoch-${epoch}`);
    mkdirSync(dir, { recursive: true });
    for (const name of FILES) rmSync(join(dir, `${name}.npy`), { force: true });
    const loader = createLoader(sources, { ...options, pad: 'max', epoch, epochs: 1 });
    summary.weights ??= mixture ? loader.weights : undefined;
    const pair = (options.format ?? 'full-sentences').endsWith('pair');
    const names = ['input_ids', 'attention_mask', 'labels', ...(pair ? ['token_type_ids'] : [])];
    const writers = new Map(names.map((n) => [n, new NpyWriter(join(dir, `${n}.npy`), [seqLen])]));
    const nsp = pair ? new NpyWriter(join(dir, 'next_sentence_label.npy'), []) : undefined;
    const sourceIds = mixture ? new NpyWriter(join(dir, 'source_ids.npy'), []) : undefined;
    const shares = sources.map(() => ({ rows: 0, tokens: 0 }));
    const offsets: number[] = [];
    let rows = 0;
    let tokens = 0;
    try {
      for await (const batch of loader) {
        offsets.push(rows);
        writers.get('input_ids')!.append(batch.inputIds);
        writers.get('attention_mask')!.append(batch.attentionMask);
        writers.get('labels')!.append(batch.labels);
        if (pair) {
          writers.get('token_type_ids')!.append(batch.tokenTypeIds!);
          nsp!.append(batch.nextSentenceLabel!);
        }
        if (sourceIds) sourceIds.append(batch.sourceIds!);
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
      const offsetsWriter = new NpyWriter(join(dir, 'batch_offsets.npy'), []);
      writers.set('batch_offsets', offsetsWriter);
      offsetsWriter.append(Int32Array.from(offsets));
      for (const w of writers.values()) w.finish();
      nsp?.finish();
      sourceIds?.finish();
    } catch (err) {
      for (const w of writers.values()) w.abort();
      nsp?.abort();
      sourceIds?.abort();
      throw err;
    } finally {
      await loader.close();
    }
    const realized = mixture ? shares.map((x) => ({ ...x, rowShare: x.rows / Math.max(1, rows), tokenShare: x.tokens / Math.max(1, tokens) })) : undefined;
    summary.epochs.push({ epoch, rows, batches: offsets.length, tokens, dir, ...(realized ? { sources: realized } : {}) });
  }
  const tmp = `${marker}.tmp-${process.pid}`;
  const mixtureRecord = mixture ? {
    mixture: sources.map((s, i) => ({
      prefix: s.store.prefix, weight: s.weight ?? null, weightUsed: summary.weights![i],
      sha256: (s.store as { manifest?: { sha256?: unknown } }).manifest?.sha256 ?? null,
    })),
  } : {};
  writeFileSync(tmp, JSON.stringify({ ...options, pad: 'max', epochs, ...mixtureRecord, maskpack: 'export-v1' }, null, 2) + '\n');
  renameSync(tmp, marker);
  return summary;
}

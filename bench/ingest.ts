/**
 * Ingestion benchmarks on the embedded SOTU corpus:
 * - `tokenizer.raw`: gpt-tokenizer's r50k_base `encode` alone over each document (warm, in this thread);
 * - `ingest.workers1` / `ingest.workers2`: `ingest()` from the files to a finished store (pool
 *   start-up, reading, UTF-8 checks, sentence splitting, tokenizing, writing, fsync, rename).
 * All in MB (10^6 bytes) of input text per second, medians of several runs. Quick mode uses a
 * ~5 MB subset and 3 runs; full mode the whole 10.8 MB corpus and 5 runs. Worker start-up
 * (spawning, loading the BPE ranks, cold JIT and merge cache: ~0.2-0.3 s) is included, so
 * small inputs understate the steady-state rate.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode } from 'gpt-tokenizer/encoding/r50k_base';
import { defaultCorpusFiles, ingest } from '../src/index.js';

type Results = Record<string, { value: number; unit: string }>;

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export async function run(opts: { quick: boolean }): Promise<Results> {
  const all = defaultCorpusFiles();
  const files: string[] = [];
  let bytes = 0;
  for (const f of all) {
    if (opts.quick && bytes >= 5e6) break;
    files.push(f);
    bytes += fs.statSync(f).size;
  }
  const texts = files.map((f) => fs.readFileSync(f, 'utf8'));
  const runs = opts.quick ? 3 : 5;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-bench-'));
  try {
    const raw: number[] = [];
    for (const t of texts) encode(t);
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      for (const t of texts) encode(t);
      raw.push(bytes / 1e6 / ((performance.now() - t0) / 1000));
    }
    const pipeline = async (workers: number): Promise<number> => {
      const speeds: number[] = [];
      for (let r = 0; r < runs; r++) {
        const out = path.join(dir, `w${workers}-${r}`);
        const t0 = performance.now();
        await ingest({ inputs: files, out, workers });
        speeds.push(bytes / 1e6 / ((performance.now() - t0) / 1000));
        for (const ext of ['bin', 'idx', 'json']) fs.rmSync(`${out}.${ext}`, { force: true });
      }
      return median(speeds);
    };
    const workers1 = await pipeline(1);
    const workers2 = await pipeline(2);
    return {
      'tokenizer.raw': { value: median(raw), unit: 'MB/s' },
      'ingest.workers1': { value: workers1, unit: 'MB/s' },
      'ingest.workers2': { value: workers2, unit: 'MB/s' },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

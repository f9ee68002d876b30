/**
 * Ingestion benchmarks on the embedded SOTU corpus:
 * - `tokenizer.raw`: gpt-tokenizer's r50k_base `encode` alone over each whole document, in this
 *   thread, JIT warm but with its merge cache cleared before each run: the pipeline sees each text
 *   once, so a cache already filled with exactly this text (~40% faster) is not the baseline;
 * - `ingest.workers1` / `ingest.workers2`: `ingest()` from the files to a finished store (pool
 *   start-up, reading, UTF-8 checks, sentence splitting, tokenizing, writing, fsync, rename).
 * All in MB (10^6 bytes) of input text per second, medians of several runs. Quick mode uses a
 * ~5 MB subset and 3 runs; full mode the whole 10.8 MB corpus and 5 runs. Worker start-up
 * (spawning, loading the BPE ranks, cold JIT and merge cache: ~0.2-0.3 s) is included, so
 * small inputs understate the steady-state rate.
 * - `ingest.workers1.perCpu` / `ingest.workers2.perCpu`: the same runs in MB per CPU-second of
 *   the whole process (all threads), which stays meaningful when other processes share the cores.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clearMergeCache, encode } from 'gpt-tokenizer/encoding/r50k_base';
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
      clearMergeCache();
      const t0 = performance.now();
      for (const t of texts) encode(t);
      raw.push(bytes / 1e6 / ((performance.now() - t0) / 1000));
    }
    const pipeline = async (workers: number): Promise<{ wall: number; cpu: number }> => {
      const speeds: number[] = [];
      const perCpu: number[] = [];
      for (let r = 0; r < runs; r++) {
        const out = path.join(dir, `w${workers}-${r}`);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await ingest({ inputs: files, out, workers });
        speeds.push(bytes / 1e6 / ((performance.now() - t0) / 1000));
        const c = process.cpuUsage(c0);
        perCpu.push(bytes / 1e6 / ((c.user + c.system) / 1e6));
        for (const ext of ['bin', 'idx', 'json']) fs.rmSync(`${out}.${ext}`, { force: true });
      }
      return { wall: median(speeds), cpu: median(perCpu) };
    };
    const workers1 = await pipeline(1);
    const workers2 = await pipeline(2);
    return {
      'tokenizer.raw': { value: median(raw), unit: 'MB/s' },
      'ingest.workers1': { value: workers1.wall, unit: 'MB/s' },
      'ingest.workers2': { value: workers2.wall, unit: 'MB/s' },
      'ingest.workers1.perCpu': { value: workers1.cpu, unit: 'MB/CPU-s' },
      'ingest.workers2.perCpu': { value: workers2.cpu, unit: 'MB/CPU-s' },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

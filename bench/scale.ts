/**
 * `npm run bench -- --only=scale`: a store far larger than kernel memory, on this machine.
 *
 * Builds once (cached in `.cache/bench-scale/`, git-ignored, or `$MASKPACK_BENCH_CACHE`) a store
 * of 5.08 billion tokens (10.2 GB `.bin`): the SOTU store merged 49 times, that merged 50 times.
 * Then, each in a process of its own (`scale-run.ts`, so peak RSS is the run's own):
 *
 * - `scale.storeTokens`: tokens in the store;
 * - `scale.loader.workers2`: tok/s of the loader, 2 workers, streaming path, full-sentences
 *   256 × 512, over batches drawn from the whole store's epoch order (page cache warm: the run
 *   follows a warm-up run that read the same batches);
 * - `scale.peakRssMB`: the run's peak resident memory, all threads (goal ≤ 1536 MB);
 * - `scale.smallPeakRssMB`: the same run over the SOTU store (goal: within 200 MB of it);
 * - `scale.mergeMBps`: `mergeStores` writing 10 × the 101.6 M-token store (2 GB), MB of output
 *   (`.bin` + `.idx`) per second;
 * - `scale.loader.workers2.cold`: the loader run again after the store's files and its cached
 *   sample index were dropped from the page cache (`dd iflag=nocache`).
 *
 * `--quick` skips this module (it needs ~11 GB of disk and minutes to build); the full run includes it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingestDefaultCorpus } from '../src/corpus/sotu.js';
import { mergeStores } from '../src/store/merge.js';
import { storePaths } from '../src/store/format.js';
import type { BenchOptions, Metrics } from './util.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = process.env.MASKPACK_BENCH_CACHE ?? path.join(REPO, '.cache', 'bench-scale');
const RUN = fileURLToPath(new URL('./scale-run.js', import.meta.url));
const BATCHES = 3000;

/** `prefix` merged from `copies` × `part`, unless it is already there. */
async function mergedOnce(prefix: string, part: string, copies: number): Promise<void> {
  if (fs.existsSync(storePaths(prefix).json)) return;
  const t = performance.now();
  const m = await mergeStores(Array.from({ length: copies }, () => part), prefix);
  console.log(`scale: built ${prefix} (${m.counts.tokens} tokens) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

function measure(prefix: string, batches: number): { tokens: number; tokensPerSecond: number; peakRssMB: number; openSeconds: number; firstBatchSeconds: number } {
  const r = spawnSync(process.execPath, [RUN, prefix, String(batches)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`scale run over ${prefix} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function bytesOf(prefix: string): number {
  const p = storePaths(prefix);
  return fs.statSync(p.bin).size + fs.statSync(p.idx).size;
}

export async function run(opts: BenchOptions): Promise<Metrics> {
  if (opts.quick) return {};
  fs.mkdirSync(CACHE, { recursive: true });
  const sotu = await ingestDefaultCorpus();
  const x49 = path.join(CACHE, 'sotu-x49');
  const big = path.join(CACHE, 'sotu-x2450');
  await mergedOnce(x49, sotu, 49);
  await mergedOnce(big, x49, 50);

  const scratch = path.join(CACHE, 'merge-speed');
  const t = performance.now();
  await mergeStores(Array.from({ length: 10 }, () => x49), scratch);
  const mergeMBps = bytesOf(scratch) / 1e6 / ((performance.now() - t) / 1000);
  for (const f of Object.values(storePaths(scratch))) fs.rmSync(f, { force: true });

  measure(big, BATCHES); // warm: builds or loads the sample index, brings the batches' pages into the page cache
  const warm = measure(big, BATCHES);
  const small = measure(sotu, BATCHES);
  // Cold: the store's files and its cached sample index dropped from the page cache first
  // (`dd iflag=nocache count=0` asks the kernel to drop a file's cached pages; no root needed).
  const files = [...Object.values(storePaths(big)), ...fs.readdirSync(CACHE).filter((f) => f.startsWith(`${path.basename(big)}.`) && f.endsWith('.idx.bin')).map((f) => path.join(CACHE, f))];
  const dropped = files.every((f) => spawnSync('dd', [`if=${f}`, 'iflag=nocache', 'count=0'], { stdio: 'ignore' }).status === 0);
  const cold = dropped ? measure(big, BATCHES) : undefined;
  console.log(`scale: ${warm.tokens} tokens, ${(warm.tokensPerSecond / 1e6).toFixed(1)} M tok/s, peak RSS ${warm.peakRssMB.toFixed(0)} MB ` +
    `(SOTU ${small.peakRssMB.toFixed(0)} MB), open ${warm.openSeconds.toFixed(2)} s, first batch ${warm.firstBatchSeconds.toFixed(2)} s, merge ${mergeMBps.toFixed(0)} MB/s`);
  if (cold) console.log(`scale: cold page cache ${(cold.tokensPerSecond / 1e6).toFixed(1)} M tok/s, open ${cold.openSeconds.toFixed(2)} s, first batch ${cold.firstBatchSeconds.toFixed(2)} s`);
  return {
    'scale.storeTokens': { value: warm.tokens, unit: 'tokens' },
    'scale.loader.workers2': { value: warm.tokensPerSecond, unit: 'tok/s' },
    'scale.peakRssMB': { value: warm.peakRssMB, unit: 'MB' },
    'scale.smallPeakRssMB': { value: small.peakRssMB, unit: 'MB' },
    'scale.mergeMBps': { value: mergeMBps, unit: 'MB/s' },
    ...(cold ? { 'scale.loader.workers2.cold': { value: cold.tokensPerSecond, unit: 'tok/s' } } : {}),
  };
}

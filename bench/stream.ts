/**
 * `stream.python`: tokens/s that a Python consumer receives from `maskpack stream` and holds as
 * NumPy arrays (python/maskpack_stream.py over a pipe), full-sentences, 256 × 512, 1 collate
 * worker: the figure to set beside `loader.workers1` (the same batches taken in-process).
 *
 * - `stream.python.consumerCore`: the consumer's CPU time over wall time (its share of a core);
 * - `stream.python.producerCores`: the same for the `maskpack stream` process (main thread and
 *   worker; Linux only).
 *
 * The store is written to a temporary folder first; the start of the child and a warm-up are
 * outside the timed runs; each figure is the median of the runs (one consumer process).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStoreWriter } from '../src/store/writer.js';
import type { TokenStore } from '../src/store/types.js';
import type { Metrics } from './util.js';

const path = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

/** Writes `store` (sentences and documents as they are) as a file store at `prefix`. */
function writeStore(store: TokenStore, prefix: string): void {
  const w = createStoreWriter(prefix, { vocabSize: store.vocabSize, specials: store.specials, tokenizer: { name: 'synthetic', source: 'bench', vocabSize: store.vocabSize } });
  let token = 0;
  for (let d = 0; d < store.numDocuments; d++) {
    const first = store.documentIndex[d];
    const lengths = store.readSentenceLengths(first, store.documentIndex[d + 1] - first);
    w.addDocument(Array.from(lengths, (n) => {
      const ids = new Int32Array(n);
      store.readTokens(token, n, ids);
      token += n;
      return ids;
    }));
  }
  w.finish();
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The `stream.python` metrics over `store`: `runs` timed runs of `batches` batches each. */
export function streamPython(store: TokenStore, batches: number, runs: number): Metrics {
  const dir = mkdtempSync(join(tmpdir(), 'maskpack-bench-stream-'));
  try {
    const prefix = join(dir, 's');
    writeStore(store, prefix);
    const args = [path('../../bench/stream_consumer.py'), path('../../python/'), prefix, String(batches), String(batches), String(runs), process.execPath, path('../src/cli/main.js')];
    const result = JSON.parse(execFileSync('python3', args, { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } })) as {
      runs: { seconds: number; cpu: number; producerCpu: number | null }[];
    };
    const seconds = median(result.runs.map((r) => r.seconds));
    const metrics: Metrics = {
      'stream.python': { value: (batches * 256 * 512) / seconds, unit: 'tok/s' },
      'stream.python.consumerCore': { value: median(result.runs.map((r) => r.cpu / r.seconds)), unit: 'share of a core' },
    };
    const producer = result.runs.map((r) => r.producerCpu);
    if (producer.every((p) => p !== null)) metrics['stream.python.producerCores'] = { value: median(result.runs.map((r) => r.producerCpu! / r.seconds)), unit: 'cores' };
    console.log(`stream.python: ${(metrics['stream.python'].value / 1e6).toFixed(1)} M tok/s, consumer ${(100 * metrics['stream.python.consumerCore'].value).toFixed(0)}% of a core`);
    return metrics;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

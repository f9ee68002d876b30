/**
 * One measured loader run of the `scale` benchmark, in a process of its own so that its peak
 * resident memory (all threads) is its own: `node scale-run.js <prefix> <batches> [cold]`.
 * Opens the store, runs the loader (2 workers, the streaming path, full-sentences 256 × 512,
 * batches drawn from the whole epoch order) for a warm-up and then `batches` timed batches,
 * and prints one JSON line: `{ tokens, tokensPerSecond, peakRssMB, openSeconds, firstBatchSeconds }`
 * (peakRssMB: the process's VmHWM, the peak resident set since exec).
 */
import fs from 'node:fs';
import { createLoader } from '../src/loader/loader.js';
import { openStore } from '../src/store/reader.js';

const [prefix, batchesText] = process.argv.slice(2);
const batches = Number(batchesText);
const t0 = performance.now();
// Ids are checked as they enter kernel memory on the streaming path, batch by batch; the open-time
// scan of a 10 GB .bin would only repeat that.
const store = openStore(prefix, { verifyIds: false });
const opened = performance.now();
const loader = createLoader(store, { format: 'full-sentences', seqLen: 512, batchSize: 256, pad: 'max', workers: 2, storeAccess: 'stream', epochs: Infinity, seed: 1 });
const take = async (): Promise<void> => {
  const { value } = await loader.next();
  if (value) loader.recycle(value);
};
await take();
const first = performance.now();
for (let k = 0; k < 20; k++) await take(); // warm-up: JIT tiers, buffers
const start = performance.now();
for (let k = 0; k < batches; k++) await take();
const seconds = (performance.now() - start) / 1000;
await loader.close();
store.close();
// VmHWM: the peak resident set of this process's memory since exec (all threads share it).
// Not getrusage's maxRSS: Linux carries that over exec from the forked parent, so a child of a
// bench process that had grown to 400 MB would report 400 MB whatever it used.
const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
const peakRssMB = hwm ? Number(hwm[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({
  tokens: store.numTokens, tokensPerSecond: (batches * 256 * 512) / seconds, peakRssMB,
  openSeconds: (opened - t0) / 1000, firstBatchSeconds: (first - opened) / 1000,
})}\n`);

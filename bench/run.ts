/**
 * `npm run bench [-- --quick]`: runs every benchmark module, prints a table with the ratios the
 * issues set as goals, and writes bench/results/latest.json as
 * `{"metrics": {"<name>": {"value": n, "unit": "..."}}}`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, Metrics } from './util.js';

type BenchModule = { run(opts: BenchOptions): Promise<Metrics> };

const MODULES: [string, () => Promise<BenchModule>][] = [
  ['mask', () => import('./mask.js')],
  ['collate', () => import('./collate.js')],
  ['formats', () => import('./formats.js')],
  ['loader', () => import('./loader.js')],
  ['ingest', () => import('./ingest.js')],
  ['train', () => import('./train.js')],
  ['machine', () => import('./machine.js')],
  ['scale', () => import('./scale.js')],
];

/** Goal ratios: [name, numerator, denominator, goal]. */
const RATIOS: [string, string, string, number][] = [
  ['mask.simd / mask.reference', 'mask.simd', 'mask.reference', 4],
  ['mask.simd / ceiling.copyFill', 'mask.simd', 'ceiling.copyFill', 0.12],
  ['collate.fullSentences / mask.simd', 'collate.fullSentences', 'mask.simd', 0.5],
  ['collate.packed / collate.fullSentences', 'collate.packed', 'collate.fullSentences', 0.9],
  ['collate.sparse / collate.fullSentences', 'collate.sparse', 'collate.fullSentences', 0.9],
  ['collate.span / collate.fullSentences', 'collate.span', 'collate.fullSentences', 0.5],
  ['loader.workers2 / loader.workers1', 'loader.workers2', 'loader.workers1', 1.7],
  ['loader.workers1 / collate.fullSentences', 'loader.workers1', 'collate.fullSentences', 0.7],
  ['loader.stream.workers2 / loader.workers2', 'loader.stream.workers2', 'loader.workers2', 0.7],
  ['loader.stream.workers2 / loader.sotu.workers2', 'loader.stream.workers2', 'loader.sotu.workers2', 0.7],
  ['loader.mix.workers2 / loader.workers2', 'loader.mix.workers2', 'loader.workers2', 0.9],
  ['stream.python / loader.workers1', 'stream.python', 'loader.workers1', 0.6],
  ['ingest.workers1 / tokenizer.raw', 'ingest.workers1', 'tokenizer.raw', 0.5],
  ['ingest.workers2 / ingest.workers1', 'ingest.workers2', 'ingest.workers1', 1.6],
];

/**
 * Two-worker goals next to what two bare threads of the same work get on this machine
 * (bench/machine.ts): [label, numerator, denominator, ceiling metric].
 */
const CEILINGS: [string, string, string, string][] = [
  ['loader.workers2 / loader.workers1', 'loader.workers2', 'loader.workers1', 'machine.threads2.collate'],
  ['ingest.workers2 / ingest.workers1', 'ingest.workers2', 'ingest.workers1', 'machine.threads2.tokenizer'],
];

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
  const metrics: Metrics = {};
  for (const [name, load] of MODULES) {
    if (only && !only.includes(name)) continue;
    Object.assign(metrics, await (await load()).run({ quick }));
  }
  console.log('\nmetric                          value            unit');
  for (const [name, m] of Object.entries(metrics)) {
    console.log(`${name.padEnd(30)} ${format(m.value).padStart(14)}   ${m.unit}`);
  }
  console.log('\nratio                                          measured   goal');
  for (const [label, num, den, goal] of RATIOS) {
    if (!metrics[num] || !metrics[den]) continue;
    const r = metrics[num].value / metrics[den].value;
    console.log(`${label.padEnd(46)} ${r.toFixed(3).padStart(8)}   >= ${goal} ${r >= goal ? 'met' : 'NOT met'}`);
  }
  const ceilings = CEILINGS.filter(([, num, den, c]) => metrics[num] && metrics[den] && metrics[c]);
  if (ceilings.length) console.log('\ntwo-worker scaling                             measured   bare threads   share of bare');
  for (const [label, num, den, c] of ceilings) {
    const r = metrics[num].value / metrics[den].value;
    const bare = metrics[c].value;
    console.log(`${label.padEnd(46)} ${r.toFixed(3).padStart(8)}   ${bare.toFixed(3).padStart(12)}   ${(r / bare).toFixed(3).padStart(13)}  (${c})`);
  }
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const out = { date: new Date().toISOString(), quick, node: process.version, cpus: cpus().length, metrics };
  writeFileSync(dir + 'latest.json', JSON.stringify(out, null, 2) + '\n');
  const rss = metrics['scale.peakRssMB'];
  const small = metrics['scale.smallPeakRssMB'];
  if (rss && small) {
    const extra = rss.value - small.value;
    console.log(`${'scale.peakRssMB'.padEnd(46)} ${rss.value.toFixed(0).padStart(8)}   <= 1536 ${rss.value <= 1536 ? 'met' : 'NOT met'}`);
    console.log(`${'scale.peakRssMB - scale.smallPeakRssMB'.padEnd(46)} ${extra.toFixed(0).padStart(8)}   <= 200 ${extra <= 200 ? 'met' : 'NOT met'}`);
  }
  const wait = metrics['train.dataWaitShare'];
  if (wait) console.log(`${'train.dataWaitShare'.padEnd(46)} ${wait.value.toFixed(4).padStart(8)}   < 0.01 ${wait.value < 0.01 ? 'met' : 'NOT met'}`);
  console.log(`\nwrote ${dir}latest.json`);
}

function format(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)} M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k`;
  return v.toFixed(3);
}

await main();

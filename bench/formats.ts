/**
 * Benchmarks of the formats stage: building sample indexes and row plans. Setup (the synthetic
 * layout) is outside the timed closures; each figure is the median of several runs.
 *
 * - `sampleIndex.build`: full-sentences (seqLen 512) over a synthetic layout of 10M sentences
 *   (1M with `quick`), sentences/s.
 * - `sampleIndex.build.segmentPair`: the same layout as segment-pair, sentences/s.
 * - `plan.build`: row plans of 256-row full-sentences batches (seqLen 512), rows/s.
 */
import { buildRowPlan, buildSampleIndex, epochPermutation, robertaSpecials, type StoreLayout } from '../src/index.js';

/** Sentences of 1–60 tokens (mean ≈ 25), documents of 1–20 sentences, from a fixed LCG. */
function syntheticLayout(numSentences: number): StoreLayout {
  let x = 12345;
  const next = (n: number): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return 1 + Math.floor((x / 2 ** 32) * n);
  };
  const sentenceLengths = new Int32Array(numSentences);
  const docs: number[] = [0];
  const docStarts: number[] = [0];
  let t = 0;
  let left = next(20);
  for (let s = 0; s < numSentences; s++) {
    if (left-- === 0) {
      docs.push(s);
      docStarts.push(t);
      left = next(20) - 1;
    }
    sentenceLengths[s] = next(60);
    t += sentenceLengths[s];
  }
  docs.push(numSentences);
  docStarts.push(t);
  return {
    numDocuments: docs.length - 1,
    numSentences,
    numTokens: t,
    documentIndex: Int32Array.from(docs),
    documentTokenStarts: Float64Array.from(docStarts),
    readSentenceLengths(first, count, out) {
      const target = out ? out.subarray(0, count) : new Int32Array(count);
      target.set(sentenceLengths.subarray(first, first + count));
      return target;
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** Run `fn` `runs` times; the median throughput in `units` per second. */
function throughput(units: number, runs: number, fn: () => void): number {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return units / median(times);
}

export async function run(opts: { quick: boolean }): Promise<Record<string, { value: number; unit: string }>> {
  const numSentences = opts.quick ? 1_000_000 : 10_000_000;
  const runs = opts.quick ? 3 : 5;
  const layout = syntheticLayout(numSentences);
  const build = throughput(numSentences, runs, () => buildSampleIndex(layout, { format: 'full-sentences', seqLen: 512 }));
  const pairs = throughput(numSentences, runs, () => buildSampleIndex(layout, { format: 'segment-pair', seqLen: 512, seed: 1 }));

  const index = buildSampleIndex(layout, { format: 'full-sentences', seqLen: 512 });
  const order = epochPermutation(index.numSamples, 1, 0);
  const batches = Math.min(opts.quick ? 200 : 2000, Math.floor(order.length / 256));
  const ids = Array.from({ length: batches }, (_, b) => order.slice(b * 256, (b + 1) * 256));
  const plans = throughput(batches * 256, runs, () => {
    for (const batch of ids) buildRowPlan(layout, robertaSpecials, index, batch, 512);
  });

  return {
    'sampleIndex.build': { value: build, unit: 'sentences/s' },
    'sampleIndex.build.segmentPair': { value: pairs, unit: 'sentences/s' },
    'plan.build': { value: plans, unit: 'rows/s' },
  };
}

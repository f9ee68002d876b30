/** The benchmark harness's shared pieces: metrics, a benny suite runner, synthetic batches. */
import b from 'benny';
import { createMemoryStore, ROBERTA_VOCAB_SIZE, robertaSpecials, type TokenStore } from '../src/index.js';

export interface Metric {
  value: number;
  unit: string;
}
export type Metrics = Record<string, Metric>;

export interface BenchOptions {
  /** Brief runs (the whole quick suite stays under 3 minutes). */
  quick: boolean;
}

export interface BenchCase {
  name: string;
  /** Units (tokens, rows, bytes…) one call of `fn` processes. */
  unitsPerOp: number;
  unit: string;
  fn: () => unknown;
}

/**
 * Runs the cases side by side in one benny suite (setup stays outside the timed closures) and
 * returns units per second from the median sample time of each case.
 */
export async function runSuite(title: string, cases: BenchCase[], opts: BenchOptions): Promise<Metrics> {
  const caseOptions = opts.quick ? { maxTime: 0.4, minSamples: 5 } : { maxTime: 3, minSamples: 30 };
  const summary = await b.suite(
    title,
    ...cases.map((c) => b.add(c.name, () => { c.fn(); }, caseOptions)),
    b.cycle(),
  );
  const metrics: Metrics = {};
  for (const c of cases) {
    const r = summary.results.find((x) => x.name === c.name);
    if (!r) throw new Error(`benchmark ${c.name} produced no result`);
    metrics[c.name] = { value: c.unitsPerOp / r.details.median, unit: c.unit };
  }
  return metrics;
}

/** The median of a few timed runs of `fn`, in seconds (for work too long for benny's sampling). */
export async function medianSeconds(runs: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** `rows × len` rows of `<s> random ids </s> <pad>…` over a RoBERTa-sized vocabulary (ids 4..50259). */
export function syntheticRows(rows: number, len: number, seed = 1): Int32Array {
  const ids = new Int32Array(rows * len).fill(1);
  let x = seed >>> 0;
  for (let r = 0; r < rows; r++) {
    const real = len - ((r * 37) % Math.max(1, len >> 3));
    ids[r * len] = 0;
    for (let i = 1; i < real - 1; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      ids[r * len + i] = 4 + (x % 50256);
    }
    ids[r * len + real - 1] = 2;
  }
  return ids;
}

/**
 * An in-memory store of `numDocuments` synthetic documents (RoBERTa ids 4..50259, sentences of
 * 1–60 tokens, documents of 1–20 sentences) from a fixed LCG.
 */
export function syntheticStore(numDocuments: number, seed = 2024, wordStarts?: Uint8Array): TokenStore {
  let x = seed;
  const next = (n: number): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return Math.floor((x / 2 ** 32) * n);
  };
  const documents = Array.from({ length: numDocuments }, () =>
    Array.from({ length: 1 + next(20) }, () => Array.from({ length: 1 + next(60) }, () => 4 + next(50256))));
  return createMemoryStore({ documents, vocabSize: ROBERTA_VOCAB_SIZE, specials: robertaSpecials, ...(wordStarts ? { wordStarts } : {}) });
}

/** A word-start table for the synthetic stores: 3 ids in 4 start a word (about English BPE's 1.3 pieces per word). */
export function syntheticWordStarts(): Uint8Array {
  return Uint8Array.from({ length: ROBERTA_VOCAB_SIZE }, (_, id) => ((Math.imul(id, 0x9e3779b1) >>> 0) % 4 === 0 ? 0 : 1));
}

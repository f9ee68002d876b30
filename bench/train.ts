import { performance } from 'node:perf_hooks';
import { createLoader, createTrainer, ingestDefaultCorpus, openStore, runTraining, type Batch } from 'maskpack';

/**
 * Training-step benchmark on the small default model (vocab 50265, d 128, 2 layers, 4 heads)
 * with 16 × 128 batches: `train.stepMs` is the median wall time of `trainer.step()` (one
 * micro-batch, fused step graph); `train.dataWaitShare` the share of a runTraining() call spent
 * awaiting the real loader (1 worker, full-sentences 16 × 128, dynamic masking) over the embedded
 * corpus, after the pool has started (its first batch is taken before timing).
 * Batches are built before timing: random ids, ~10% padding, 15% of real tokens masked 80/10/10.
 */

const B = 16;
const L = 128;
const VOCAB = 50265;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

function syntheticBatch(seed: number): Batch {
  const rand = lcg(seed * 7919 + 1);
  const inputIds = new Int32Array(B * L).fill(1);
  const attentionMask = new Int32Array(B * L);
  const labels = new Int32Array(B * L).fill(-100);
  for (let b = 0; b < B; b++) {
    const len = L - Math.floor(rand() * 0.2 * L);
    for (let j = 0; j < len; j++) {
      const i = b * L + j;
      inputIds[i] = j === 0 ? 0 : j === len - 1 ? 2 : 4 + Math.floor(rand() * (VOCAB - 4));
      attentionMask[i] = 1;
      if (j === 0 || j === len - 1 || rand() >= 0.15) continue;
      labels[i] = inputIds[i]!;
      const r = rand();
      if (r < 0.8) inputIds[i] = 50264;
      else if (r < 0.9) inputIds[i] = 4 + Math.floor(rand() * (VOCAB - 4));
    }
  }
  return { inputIds, attentionMask, labels, shape: [B, L], sampleIds: Uint32Array.from({ length: B }, (_, i) => seed * B + i) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export async function run(opts: { quick: boolean }): Promise<Record<string, { value: number; unit: string }>> {
  const steps = opts.quick ? 8 : 30;
  const warmup = 2;
  const batches = Array.from({ length: steps + warmup }, (_, i) => syntheticBatch(i));
  const trainer = await createTrainer({ totalSteps: 10 * steps, seed: 1 });
  try {
    for (let i = 0; i < warmup; i++) await trainer.step(batches[i]!);
    const times: number[] = [];
    for (let i = warmup; i < steps + warmup; i++) {
      const t0 = performance.now();
      await trainer.step(batches[i]!);
      times.push(performance.now() - t0);
    }
    const store = openStore(await ingestDefaultCorpus(), { verifyIds: false });
    const loader = createLoader(store, { format: 'full-sentences', seqLen: L, batchSize: B, workers: 1, epochs: Infinity });
    await loader.next();
    const summary = await runTraining({ trainer, batches: loader, steps });
    await loader.close();
    store.close();
    return {
      'train.stepMs': { value: median(times), unit: 'ms' },
      'train.dataWaitShare': { value: summary.dataWaitShare, unit: 'ratio' },
      'train.tokensPerSecond': { value: summary.tokensPerSecond, unit: 'tokens/s' },
    };
  } finally {
    await trainer.close();
  }
}

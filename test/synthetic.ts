import type { Batch } from 'maskpack';

/**
 * Deterministic synthetic data for the training tests (the real corpus and loader live on
 * other branches): a tiny counter-based generator, structured token sequences a small model
 * can learn, and a plain 80/10/10 masking like fairseq's with the ignore index -100.
 */

/** A deterministic uniform [0, 1) stream (LCG; tests only). */
export function stream(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export const SPECIAL = { bos: 0, pad: 1, eos: 2, mask: 3 } as const;
/** First ordinary token id. */
export const FIRST_WORD = 4;

/**
 * Rows `<s> w₀ w₁ … </s> <pad>…` of a tiny "language": w₀ is drawn with a skewed (Zipf-like)
 * distribution and each next word is w_{j+1} = (3·w_j + stride) mod the word count, stride
 * 1 for most rows, 2 for some: a masked word is predictable from its neighbours, and the
 * skewed word frequencies give the quick early gain real text gives. Lengths vary so rows
 * have padding.
 */
export function structuredBatch(B: number, L: number, vocab: number, seed: number, maskProb = 0.15): Batch {
  const rand = stream(seed);
  const words = vocab - FIRST_WORD;
  const inputIds = new Int32Array(B * L).fill(SPECIAL.pad);
  const attentionMask = new Int32Array(B * L);
  const labels = new Int32Array(B * L).fill(-100);
  for (let b = 0; b < B; b++) {
    const len = L - Math.floor(rand() * Math.min(4, L - 3));
    const stride = rand() < 0.8 ? 1 : 2;
    let w = Math.floor(words * rand() ** 3);
    const row = b * L;
    inputIds[row] = SPECIAL.bos;
    for (let j = 1; j < len - 1; j++, w = (3 * w + stride) % words) inputIds[row + j] = FIRST_WORD + w;
    inputIds[row + len - 1] = SPECIAL.eos;
    attentionMask.fill(1, row, row + len);
    let masked = 0;
    for (let j = 1; j < len - 1; j++) {
      if (rand() >= maskProb && !(j === len - 2 && masked === 0)) continue;
      masked++;
      labels[row + j] = inputIds[row + j]!;
      const r = rand();
      if (r < 0.8) inputIds[row + j] = SPECIAL.mask;
      else if (r < 0.9) inputIds[row + j] = FIRST_WORD + Math.floor(rand() * words);
    }
  }
  return { inputIds, attentionMask, labels, shape: [B, L], sampleIds: Uint32Array.from({ length: B }, (_, i) => seed * B + i) };
}

/** Rows of several batches stacked into one (same L). */
export function concatBatches(batches: readonly Batch[]): Batch {
  const L = batches[0]!.shape[1];
  const B = batches.reduce((n, b) => n + b.shape[0], 0);
  const cat = (pick: (b: Batch) => Int32Array) => {
    const out = new Int32Array(B * L);
    let o = 0;
    for (const b of batches) { out.set(pick(b), o); o += pick(b).length; }
    return out;
  };
  return {
    inputIds: cat((b) => b.inputIds), attentionMask: cat((b) => b.attentionMask), labels: cat((b) => b.labels),
    shape: [B, L], sampleIds: new Uint32Array(B),
  };
}

/** Count of positions with a label. */
export function maskedCount(b: Batch): number {
  return b.labels.reduce((n: number, v: number) => n + (v !== -100 ? 1 : 0), 0);
}

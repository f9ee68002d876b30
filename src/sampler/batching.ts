/**
 * Batch boundaries of an epoch and the rank share rule.
 */
import { GrowableUint32 } from '../formats/growable.js';
import { padWidth, type ResolvedSamplerOptions } from './options.js';

/**
 * Global batch boundaries for token-budget batching, `[numBatches + 1]` positions into the
 * epoch order; `lengthAt(p)` is the real length of the row at position `p`. Greedy: a row joins the open batch when the batch's cost stays within
 * `tokenBudget`, else it opens the next batch. The cost is the sum of real row lengths, or with
 * `countPadding` rows × padded width. A batch always holds at least one row (the budget is
 * validated to hold any single row). With `dropLast`, the final batch (the one closed by the end
 * of the epoch, not by the budget) is dropped.
 */
export function tokenBudgetBoundaries(n: number, lengthAt: (p: number) => number, o: ResolvedSamplerOptions): Uint32Array {
  const bounds = new GrowableUint32(Math.ceil(n / 4) + 2);
  bounds.push(0);
  let count = 0;
  let sum = 0;
  let longest = 0;
  for (let p = 0; p < n; p++) {
    const len = lengthAt(p);
    const cost = o.countPadding ? (count + 1) * padWidth(Math.max(longest, len), o) : sum + len;
    if (count > 0 && cost > o.tokenBudget) {
      bounds.push(p);
      count = 0;
      sum = 0;
      longest = 0;
    }
    count++;
    sum += len;
    if (len > longest) longest = len;
  }
  if (count > 0 && !o.dropLast) bounds.push(n);
  return bounds.finish();
}

/** Rows `[begin, end)` of a global batch of `rows` rows that belong to `rank` (contiguous, in order). */
export function rankShare(rows: number, rank: number, worldSize: number): [number, number] {
  return [Math.floor((rows * rank) / worldSize), Math.floor((rows * (rank + 1)) / worldSize)];
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTrainer, type Trainer, type TrainerOptions } from 'maskpack';
import { concatBatches, maskedCount, structuredBatch } from './synthetic.js';

/*
 * k accumulated micro-batches must give the update of one batch k times larger. The loss is
 * the mean over all masked tokens of the effective batch, so each micro-batch's summed
 * gradient is weighted by 1 / (masked tokens of all k), not 1/k. The micro-batches here have
 * very different masked counts, so the 1/k weighting (mean of micro-batch means) would fail.
 *
 * Tolerances: both sides compute the same float32 sums in a different order (per micro-batch
 * then added on the host, versus one pass), which differs by a few ulps of the largest
 * partial sum: 1e-6 absolute + 1e-4 relative is ~100× that and ~100× below the gap the
 * wrong weighting opens (checked by the last assertion of the first test).
 */
const L = 12;
const options: TrainerOptions = {
  model: { vocabSize: 23, hidden: 16, layers: 2, heads: 2, ffn: 32, maxPositions: L },
  learningRate: 1e-3, warmupSteps: 0, totalSteps: 10, seed: 11,
};
const micro = (step: number) => [
  structuredBatch(2, L, 23, 100 + step, 0.1),
  structuredBatch(3, L, 23, 200 + step, 0.5),
  structuredBatch(1, L, 23, 300 + step, 0.3),
];

function assertClose(a: Float32Array, b: Float32Array, what: string, atol = 1e-6, rtol = 1e-4): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    const tol = atol + rtol * Math.abs(b[i]!);
    if (!(Math.abs(a[i]! - b[i]!) <= tol)) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]} (tolerance ${tol})`);
  }
}

describe('gradient accumulation', () => {
  let small: Trainer;
  let big: Trainer;
  before(async () => {
    [small, big] = await Promise.all([createTrainer(options), createTrainer(options)]);
  });
  after(async () => {
    await small.close();
    await big.close();
  });

  it('k micro-batch gradients equal the gradient of their concatenation', async () => {
    const parts = micro(0);
    const counts = parts.map(maskedCount);
    assert.notEqual(counts[0], counts[1], 'micro-batches must differ in masked count for this test to bite');
    const acc = await small.gradients(parts);
    const one = await big.gradients(concatBatches(parts));
    assert.equal(acc.maskedTokens, one.maskedTokens);
    assert.ok(Math.abs(acc.loss - one.loss) <= 1e-5 * one.loss, `loss ${acc.loss} vs ${one.loss}`);
    for (const [name, g] of one.gradients) assertClose(acc.gradients.get(name)!, g, name);

    const each = await Promise.all(parts.map((p) => small.gradients(p)));
    const meanOfMeans = each[0]!.gradients.get('embed.tokens')!.map((_, i) =>
      each.reduce((s, r) => s + r.gradients.get('embed.tokens')![i]!, 0) / each.length);
    assert.throws(() => assertClose(meanOfMeans, one.gradients.get('embed.tokens')!, 'mean of means'));
  });

  it('three accumulated updates equal three updates on the concatenated batches', async () => {
    for (let s = 1; s <= 3; s++) {
      const parts = micro(s);
      const a = await small.step(parts);
      const b = await big.step(concatBatches(parts));
      assert.equal(a.step, s);
      assert.equal(a.learningRate, b.learningRate);
      assert.ok(Math.abs(a.loss - b.loss) <= 1e-5 * b.loss, `step ${s} loss ${a.loss} vs ${b.loss}`);
      assert.equal(a.maskedTokens, b.maskedTokens);
    }
    const pa = small.parameters();
    const pb = big.parameters();
    const fresh = await createTrainer(options);
    const initial = fresh.parameters();
    await fresh.close();
    let moved = 0;
    for (const [name, p] of pb) {
      assertClose(pa.get(name)!, p, name);
      moved += p.reduce((n, v, i) => n + (v !== initial.get(name)![i] ? 1 : 0), 0);
    }
    assert.ok(moved > 0, 'the updates changed the parameters');
  });
});

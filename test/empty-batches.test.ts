// A batch with no masked position (all labels -100: 0.5–0.7% of 2 × 32 loader batches) has
// nothing to predict. It must add exactly zero loss and gradient wherever it appears, and a step
// whose batches are all like that is skipped and reported, leaving the trainer as it was.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTrainer, runTraining, type Batch, type Trainer, type TrainerOptions } from 'maskpack';
import { maskedCount, structuredBatch } from './synthetic.js';

const L = 12;
const V = 23;
const options: TrainerOptions = {
  model: { vocabSize: V, hidden: 16, layers: 1, heads: 2, ffn: 32, maxPositions: L },
  learningRate: 1e-2, warmupSteps: 0, totalSteps: 10, seed: 5,
};

/** A real batch whose labels are all the ignore index: real tokens, nothing to predict. */
function empty(B: number, seed: number): Batch {
  const b = structuredBatch(B, L, V, seed);
  return { ...b, labels: new Int32Array(b.labels.length).fill(-100) };
}

const a = structuredBatch(2, L, V, 1, 0.3);
const b = structuredBatch(3, L, V, 2, 0.2);

function assertSameParameters(x: Map<string, Float32Array>, y: Map<string, Float32Array>, what: string): void {
  for (const [name, p] of y) assert.deepEqual(x.get(name), p, `${what}: ${name}`);
}

describe('batches with no masked position', () => {
  let one: Trainer;
  let two: Trainer;
  before(async () => {
    [one, two] = await Promise.all([createTrainer(options), createTrainer(options)]);
  });
  after(async () => {
    await one.close();
    await two.close();
  });

  it('add nothing to gradients(): mixed in, the result is exactly that of the others alone', async () => {
    assert.ok(maskedCount(a) > 0 && maskedCount(b) > 0);
    const alone = await one.gradients([a, b]);
    const mixed = await one.gradients([empty(2, 7), a, empty(1, 8), b]);
    assert.equal(mixed.maskedTokens, alone.maskedTokens);
    assert.equal(mixed.loss, alone.loss);
    assert.equal(mixed.accuracy, alone.accuracy);
    for (const [name, g] of alone.gradients) assert.deepEqual(mixed.gradients.get(name), g, name);
    const single = await one.gradients([a, empty(3, 9)]);
    const aOnly = await one.gradients(a);
    for (const [name, g] of aOnly.gradients) assert.deepEqual(single.gradients.get(name), g, name);

    const none = await one.gradients([empty(2, 10), empty(2, 11)]);
    assert.equal(none.maskedTokens, 0);
    assert.ok(Number.isNaN(none.loss) && Number.isNaN(none.accuracy), 'a mean over no token is NaN');
    for (const [name, g] of none.gradients) {
      assert.equal(g.length, alone.gradients.get(name)!.length, name);
      assert.ok(g.every((v) => v === 0), `${name}: zero gradient`);
    }
  });

  it('add nothing to evaluate()', async () => {
    const alone = await one.evaluate([a, b]);
    assert.deepEqual(await one.evaluate([a, empty(2, 12), b]), alone);
    const none = await one.evaluate(empty(2, 13));
    assert.equal(none.maskedTokens, 0);
    assert.ok(Number.isNaN(none.loss) && Number.isNaN(none.accuracy));
  });

  it('step(): an all-empty step is skipped, mixed steps equal the non-empty micro-batches alone', async () => {
    const start = one.parameters();
    const skipped = await one.step([empty(2, 14), empty(1, 15)]);
    assert.equal(skipped.skipped, true);
    assert.equal(skipped.step, 0);
    assert.equal(skipped.maskedTokens, 0);
    assert.ok(skipped.tokens > 0, 'the skipped batches still count their tokens');
    assert.ok(Number.isNaN(skipped.loss));
    assert.equal(skipped.learningRate, 0);
    assert.equal(one.stepCount, 0);
    assertSameParameters(one.parameters(), start, 'after a skipped step');

    const steps: [Batch[], Batch[]][] = [
      [[empty(2, 16), a], [a]],                      // one non-empty micro-batch: the fused step graph
      [[a, empty(1, 17), b, empty(2, 18)], [a, b]],  // accumulated
      [[empty(3, 19)], []],                          // skipped on one side, not taken on the other
      [[b, empty(1, 20), a], [b, a]],                // the moments and the update count carried on unchanged
    ];
    for (const [mixed, alone] of steps) {
      const r = await one.step(mixed);
      if (alone.length === 0) {
        assert.equal(r.skipped, true);
        continue;
      }
      const s = await two.step(alone);
      assert.equal(r.skipped, false);
      assert.equal(r.step, s.step);
      assert.equal(r.loss, s.loss);
      assert.equal(r.maskedTokens, s.maskedTokens);
      assert.equal(r.learningRate, s.learningRate);
    }
    assert.equal(one.stepCount, 3);
    assert.equal(two.stepCount, 3);
    assertSameParameters(one.parameters(), two.parameters(), 'after the mixed steps');
    assert.notDeepEqual(one.parameters().get('embed.tokens'), start.get('embed.tokens'), 'the updates moved the parameters');
  });

  it('runTraining() counts a skipped step as run, reports it, and goes on', async () => {
    const trainer = await createTrainer(options);
    try {
      const source = [a, empty(2, 21), empty(1, 22), empty(2, 23), b, empty(1, 24), a, b];
      const seen: boolean[] = [];
      const summary = await runTraining({ trainer, batches: source, steps: 4, accumulation: 2, onProgress: (p) => seen.push(p.skipped) });
      assert.equal(summary.steps, 4);
      assert.equal(summary.skippedSteps, 1);
      assert.deepEqual(seen, [false, true, false, false]);
      assert.deepEqual(summary.history.map((h) => h.step), [1, 1, 2, 3]);
      assert.equal(trainer.stepCount, 3);
    } finally {
      await trainer.close();
    }
  });
});

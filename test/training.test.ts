import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTrainer, learningRateAt, MaskpackError, runTraining, type TrainingProgress } from 'maskpack';
import { structuredBatch } from './synthetic.js';

const V = 40;
const L = 16;
const small = { vocabSize: V, hidden: 32, layers: 2, heads: 4, ffn: 64, maxPositions: L };

describe('training', () => {
  it('lowers the masked-LM loss on held-out batches (synthetic structured text)', async () => {
    // The real corpus and loader live on other branches; this "language" (see synthetic.ts)
    // has skewed word frequencies and a deterministic successor, which a model must learn.
    const trainer = await createTrainer({ model: small, learningRate: 1e-2, totalSteps: 60, warmupSteps: 6, seed: 1 });
    try {
      const heldOut = Array.from({ length: 4 }, (_, i) => structuredBatch(16, L, V, 1_000_000 + i));
      const before = await trainer.evaluate(heldOut);
      const progress: TrainingProgress[] = [];
      function* source() { for (let i = 0; ; i++) yield structuredBatch(16, L, V, i); }
      const summary = await runTraining({ trainer, batches: source(), steps: 60, onProgress: (p) => progress.push(p) });
      const after = await trainer.evaluate(heldOut);
      assert.ok(before.loss > 3, `an untrained model is near uniform, got ${before.loss}`);
      assert.ok(after.loss < before.loss - 1, `held-out loss ${before.loss} → ${after.loss}`);
      assert.ok(after.accuracy > before.accuracy + 0.2, `held-out accuracy ${before.accuracy} → ${after.accuracy}`);
      assert.equal(summary.steps, 60);
      assert.equal(trainer.stepCount, 60);
      assert.deepEqual(progress.map((p) => p.step), Array.from({ length: 60 }, (_, i) => i + 1));
      assert.ok(summary.dataWaitShare >= 0 && summary.dataWaitShare < 1);
      assert.ok(summary.tokensPerSecond > 0 && summary.tokens === summary.history.reduce((n, h) => n + h.tokens, 0));
    } finally {
      await trainer.close();
    }
  });

  it('counts waiting for a slow source as data wait, and stops when the source ends', async () => {
    const trainer = await createTrainer({ model: { ...small, layers: 1 }, seed: 2 });
    try {
      await trainer.step(structuredBatch(2, L, V, 99));
      async function* slow() {
        for (let i = 0; i < 7; i++) {
          await new Promise((r) => setTimeout(r, 150));
          yield structuredBatch(2, L, V, i);
        }
      }
      const summary = await runTraining({ trainer, batches: slow(), steps: 10, accumulation: 2 });
      assert.equal(summary.steps, 3, '7 batches make 3 updates of 2 micro-batches');
      assert.ok(summary.waitMs >= 7 * 145, `waited ${summary.waitMs} ms`);
      assert.ok(summary.dataWaitShare > 0.5, `data wait share ${summary.dataWaitShare} (compute ${summary.computeMs} ms)`);
    } finally {
      await trainer.close();
    }
  });

  it('stops before the next update when the signal aborts', async () => {
    const trainer = await createTrainer({ model: { ...small, layers: 1 }, seed: 3 });
    try {
      const controller = new AbortController();
      function* source() { for (let i = 0; ; i++) yield structuredBatch(2, L, V, i); }
      const summary = await runTraining({
        trainer, batches: source(), steps: 50, signal: controller.signal,
        onProgress: (p) => { if (p.step === 2) controller.abort(); },
      });
      assert.equal(summary.steps, 2);
      assert.equal(trainer.stepCount, 2);
    } finally {
      await trainer.close();
    }
  });

  it('initializes reproducibly from the seed', async () => {
    const [a, b, c] = await Promise.all([1, 1, 2].map((seed) => createTrainer({ model: small, seed })));
    const pa = a!.parameters().get('layer0.attn.q.weight')!;
    assert.deepEqual(pa, b!.parameters().get('layer0.attn.q.weight'));
    assert.notDeepEqual(pa, c!.parameters().get('layer0.attn.q.weight'));
    const std = Math.sqrt(pa.reduce((s, v) => s + v * v, 0) / pa.length);
    assert.ok(std > 0.015 && std < 0.025, `init std ${std} ≈ 0.02`);
    await Promise.all([a, b, c].map((t) => t!.close()));
  });

  it('rejects bad batches with ERR_BAD_INPUT and calls after close with ERR_CLOSED', async () => {
    const trainer = await createTrainer({ model: small });
    const good = structuredBatch(2, L, V, 5);
    const cases = [
      { ...good, inputIds: good.inputIds.map((v: number, i: number) => (i === 3 ? V : v)) },
      { ...good, labels: good.labels.map((v: number, i: number) => (i === 3 ? V : v)) },
      structuredBatch(1, L + 1, V, 5),
      { ...good, attentionMask: good.attentionMask.map(() => 2) },
    ];
    for (const bad of cases) {
      await assert.rejects(trainer.step(bad), (e: unknown) => e instanceof MaskpackError && e.code === 'ERR_BAD_INPUT');
    }
    await assert.rejects(trainer.step([]), TypeError);
    assert.equal(trainer.stepCount, 0);
    await trainer.close();
    await assert.rejects(trainer.evaluate(good), (e: unknown) => e instanceof MaskpackError && e.code === 'ERR_CLOSED');
  });

  it('validates options, naming the option and the value', async () => {
    const table: Array<[unknown, string, RegExp]> = [
      ['nope', 'TypeError', /options must be an object/],
      [{ model: { hidden: 30, heads: 4 } }, 'RangeError', /options\.model\.heads must divide .*30.*got 4/],
      [{ model: { layers: 1.5 } }, 'RangeError', /options\.model\.layers .* got 1\.5/],
      [{ model: { vocabSize: '5' } }, 'TypeError', /options\.model\.vocabSize must be an integer, got "5"/],
      [{ model: { ignoreIndex: 3 } }, 'RangeError', /options\.model\.ignoreIndex .* got 3/],
      [{ optimizer: { beta2: 1 } }, 'RangeError', /options\.optimizer\.beta2 must be below 1, got 1/],
      [{ optimizer: { eps: 0 } }, 'RangeError', /options\.optimizer\.eps .* got 0/],
      [{ learningRate: -1 }, 'RangeError', /options\.learningRate .* got -1/],
      [{ totalSteps: 10, warmupSteps: 11 }, 'RangeError', /options\.warmupSteps .* got 11/],
      [{ threads: 0 }, 'RangeError', /options\.threads .* got 0/],
    ];
    for (const [options, name, message] of table) {
      await assert.rejects(createTrainer(options as never), { name, message }, JSON.stringify(options));
    }
    const trainer = await createTrainer({ model: small });
    await assert.rejects(runTraining({ trainer, batches: 5 as never, steps: 1 }), TypeError);
    await assert.rejects(runTraining({ trainer, batches: [], steps: -1 }), { name: 'RangeError', message: /options\.steps .* got -1/ });
    await assert.rejects(runTraining({ trainer, batches: [], steps: 1, accumulation: 0 }), { name: 'RangeError', message: /accumulation .* got 0/ });
    await trainer.close();
  });

  it('schedules the learning rate: linear warm-up, then linear decay to 0', () => {
    const s = { peak: 1e-3, warmupSteps: 10, totalSteps: 110 };
    assert.deepEqual([1, 5, 10, 60, 110, 200].map((t) => learningRateAt(s, t)), [1e-4, 5e-4, 1e-3, 5e-4, 0, 0]);
    assert.equal(learningRateAt({ peak: 2, warmupSteps: 0, totalSteps: 4 }, 1), 1.5);
  });
});

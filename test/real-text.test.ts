import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { createTrainer, runTraining, type Batch } from 'maskpack';
import { stream, SPECIAL } from './synthetic.js';

/*
 * Held-out masked-LM loss on real English text. The bundled corpus and the BPE tokenizer are
 * built on other branches, so the text here is the README.md of every installed package
 * (pinned by package-lock.json), tokenized as bytes (id = 4 + byte); every sixth file is held
 * out. Masking is fairseq's 15% with 80/10/10.
 */
const B = 16;
const L = 32;
const FIRST_BYTE = 4;

function readmes(): Buffer[] {
  const root = fileURLToPath(new URL('../../node_modules', import.meta.url));
  return readdirSync(root).sort()
    .map((d) => join(root, d, 'README.md'))
    .filter((p) => existsSync(p))
    .map((p) => readFileSync(p));
}

function byteBatch(text: Buffer, offset: number, rand: () => number): Batch {
  const inputIds = new Int32Array(B * L);
  const labels = new Int32Array(B * L).fill(-100);
  for (let b = 0; b < B; b++) {
    const start = (offset + b * (L - 2)) % (text.length - L);
    inputIds[b * L] = SPECIAL.bos;
    inputIds[b * L + L - 1] = SPECIAL.eos;
    for (let j = 1; j < L - 1; j++) {
      const i = b * L + j;
      inputIds[i] = FIRST_BYTE + text[start + j]!;
      if (rand() >= 0.15) continue;
      labels[i] = inputIds[i]!;
      const r = rand();
      if (r < 0.8) inputIds[i] = SPECIAL.mask;
      else if (r < 0.9) inputIds[i] = FIRST_BYTE + Math.floor(rand() * 256);
    }
  }
  return { inputIds, attentionMask: new Int32Array(B * L).fill(1), labels, shape: [B, L], sampleIds: new Uint32Array(B) };
}

describe('training on real text', () => {
  it('lowers the held-out masked-LM loss within 80 updates', async () => {
    const files = readmes();
    const train = Buffer.concat(files.filter((_, i) => i % 6 !== 0));
    const heldText = Buffer.concat(files.filter((_, i) => i % 6 === 0));
    assert.ok(train.length > 50_000 && heldText.length > 5_000, `${train.length} / ${heldText.length} bytes of README text`);
    const rand = stream(5);
    const heldOut = Array.from({ length: 8 }, (_, i) => byteBatch(heldText, i * B * (L - 2), rand));
    const trainer = await createTrainer({
      model: { vocabSize: FIRST_BYTE + 256, hidden: 32, layers: 2, heads: 4, ffn: 64, maxPositions: L },
      learningRate: 1e-2, totalSteps: 80, seed: 1,
    });
    try {
      const before = await trainer.evaluate(heldOut);
      function* source() { for (let i = 0; ; i++) yield byteBatch(train, i * B * (L - 2), rand); }
      await runTraining({ trainer, batches: source(), steps: 80 });
      const after = await trainer.evaluate(heldOut);
      assert.ok(before.loss > 5, `untrained loss ${before.loss} ≈ ln 260`);
      assert.ok(after.loss < before.loss - 1, `held-out loss ${before.loss} → ${after.loss}`);
      assert.ok(after.accuracy > before.accuracy + 0.03, `held-out accuracy ${before.accuracy} → ${after.accuracy}`);
    } finally {
      await trainer.close();
    }
  });
});

/**
 * Masking kernels head to head on one 256 × 512 batch, 50,265-id vocabulary, bernoulli mode:
 * SIMD kernel, scalar twin, TypeScript reference, a naive Math.random loop, and the memory
 * ceiling (copy one int32 buffer, fill another: the 12 bytes a token the kernel moves).
 */
import { Masker } from '../src/mask/masker.js';
import { MaskKernel } from '../src/mask/kernel.js';
import { resolveMaskOptions } from '../src/mask/options.js';
import { maskWithReference } from '../src/mask/reference.js';
import { runSuite, syntheticRows, type BenchOptions, type Metrics } from './util.js';

const ROWS = 256;
const LEN = 512;
const VOCAB = 50265;
const MASK = 50264;
const SPECIALS = [0, 1, 2, 3, 50260, 50261, 50262, 50263, MASK];

export async function run(opts: BenchOptions): Promise<Metrics> {
  const n = ROWS * LEN;
  const ids = syntheticRows(ROWS, LEN);
  const sampleIds = Uint32Array.from({ length: ROWS }, (_, r) => r);
  const options = { vocabSize: VOCAB, maskId: MASK, specialIds: SPECIALS };
  const params = resolveMaskOptions(options);
  const kernel = new MaskKernel(params);
  const buffers = kernel.reserve(ROWS, LEN);
  kernel.arena.i32(buffers.src, n).set(ids);
  kernel.arena.u32(buffers.sampleIds, ROWS).set(sampleIds);
  const masker = new Masker(options);
  const copySrc = ids.slice();
  const copyDst = new Int32Array(n);
  const fillDst = new Int32Array(n);
  const special = new Set(SPECIALS);
  const naiveOut = new Int32Array(n);
  const naiveLabels = new Int32Array(n);

  return runSuite('masking, 256 × 512', [
    { name: 'mask.simd', unitsPerOp: n, unit: 'tok/s', fn: () => kernel.run('simd', buffers) },
    { name: 'mask.scalar', unitsPerOp: n, unit: 'tok/s', fn: () => kernel.run('scalar', buffers) },
    { name: 'mask.api', unitsPerOp: n, unit: 'tok/s', fn: () => masker.mask(ids, sampleIds) },
    { name: 'mask.reference', unitsPerOp: n, unit: 'tok/s', fn: () => maskWithReference(params, ids, sampleIds, LEN) },
    {
      name: 'mask.naive', unitsPerOp: n, unit: 'tok/s', fn: () => {
        for (let i = 0; i < n; i++) {
          const id = ids[i];
          naiveOut[i] = id;
          naiveLabels[i] = -100;
          if (special.has(id) || Math.random() >= 0.15) continue;
          naiveLabels[i] = id;
          const r = Math.random();
          if (r < 0.8) naiveOut[i] = MASK;
          else if (r < 0.9) naiveOut[i] = 4 + Math.floor(Math.random() * 50256);
        }
      },
    },
    {
      name: 'ceiling.copyFill', unitsPerOp: n, unit: 'tok/s', fn: () => {
        copyDst.set(copySrc);
        fillDst.fill(-100);
      },
    },
  ], opts);
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, writeNpy } from 'maskpack';

const cases: { name: string; shape: number[] }[] = [
  { name: 'empty', shape: [0] },
  { name: 'vector', shape: [7] },
  { name: 'matrix', shape: [3, 5] },
  { name: 'wide', shape: [2, 513] },
  { name: 'zero-rows', shape: [0, 8] },
  { name: 'cube', shape: [2, 3, 4] },
];

function values(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = ((i * 2654435761) | 0) ^ (i & 1 ? -100 : 50264);
  return a;
}

test('the header is padded to 64 bytes and ends with a newline', () => {
  for (const { shape } of cases) {
    const bytes = encodeNpy(values(shape.reduce((a, b) => a * b, 1)), shape);
    const headerLength = bytes[8] | (bytes[9] << 8);
    assert.equal((10 + headerLength) % 64, 0);
    assert.equal(bytes[10 + headerLength - 1], 0x0a);
  }
});

for (const [dtype, descr, size] of [['int32', '<i4', 4], ['int64', '<i8', 8]] as const) {
  test(`numpy loads every ${dtype} file with the right dtype, shape and values`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maskpack-npy-'));
    try {
      for (const { name, shape } of cases) {
        await writeNpy(join(dir, `${name}.npy`), values(shape.reduce((a, b) => a * b, 1)), shape, dtype);
      }
      const script = [
        'import json, sys, numpy as np',
        'out = {}',
        `for name in ${JSON.stringify(cases.map((c) => c.name))}:`,
        '    a = np.load(sys.argv[1] + "/" + name + ".npy")',
        '    out[name] = {"dtype": a.dtype.str, "shape": list(a.shape), "c": bool(a.flags.c_contiguous), "values": a.ravel().tolist()}',
        'print(json.dumps(out))',
      ].join('\n');
      const loaded = JSON.parse(execFileSync('python3', ['-c', script, dir], { encoding: 'utf8' }));
      for (const { name, shape } of cases) {
        assert.equal(loaded[name].dtype, descr, name);
        assert.deepEqual(loaded[name].shape, shape, name);
        assert.equal(loaded[name].c, true, name);
        assert.deepEqual(loaded[name].values, Array.from(values(shape.reduce((a, b) => a * b, 1))), name);
      }
      assert.equal(readFileSync(join(dir, 'matrix.npy')).length, 128 + 15 * size, 'the 60-byte dict needs two 64-byte blocks, as numpy writes it');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a shape that does not match the array, or an unknown dtype, is a RangeError', () => {
  assert.throws(() => encodeNpy(new Int32Array(2), [2], 'float32' as never), { name: 'RangeError', message: `dtype must be 'int32' or 'int64', got "float32"` });
  assert.throws(() => encodeNpy(new Int32Array(6), [4, 2]), { name: 'RangeError', message: /shape \[4,2\] holds 8 elements, the array has 6/ });
  assert.throws(() => encodeNpy(new Int32Array(6), [-6]), RangeError);
});

test('writeNpy rejects (does not throw) on a bad shape', async () => {
  await assert.rejects(writeNpy('/nonexistent/x.npy', new Int32Array(2), [3]), RangeError);
});

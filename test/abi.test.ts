// The host's copy of the kernel ABI (src/wasm/abi.ts) agrees with the compiled module: every
// constant the module exports as a global, and every function's name and parameter count.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { KERNEL_CONSTANTS, KERNEL_FUNCTIONS } from '../src/wasm/abi.js';

const module = new WebAssembly.Module(readFileSync(new URL('../../build/maskpack.wasm', import.meta.url)));
const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, WebAssembly.Global | ((...a: number[]) => number)>;

test('every ABI constant of the host equals the global the module exports', () => {
  const globals = WebAssembly.Module.exports(module).filter((e) => e.kind === 'global').map((e) => e.name);
  assert.deepEqual([...globals].sort(), Object.keys(KERNEL_CONSTANTS).sort(), 'the same constants on both sides');
  for (const [name, value] of Object.entries(KERNEL_CONSTANTS)) {
    assert.equal((exports[name] as WebAssembly.Global).value, value, name);
  }
});

test('every kernel function the host calls exists with the parameter count the host passes', () => {
  const functions = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
  assert.deepEqual([...functions].sort(), Object.keys(KERNEL_FUNCTIONS).sort());
  for (const [name, arity] of Object.entries(KERNEL_FUNCTIONS)) {
    assert.equal((exports[name] as (...a: number[]) => number).length, arity, name);
  }
});

// python/maskpack_stream.py's own tests (unittest, NumPy only; its torch paths against a fake
// torch), run against the built CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { bin } from './cli-fixture.js';

const python = fileURLToPath(new URL('../../python/', import.meta.url));

test('python/maskpack_stream.py: its unittest suite passes without torch', { timeout: 180_000 }, () => {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const r = spawnSync('python3', ['-m', 'unittest', '-v', 'test_maskpack_stream'], {
    cwd: python, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', MASKPACK: `${quote(process.execPath)} ${quote(bin)}` },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^Ran 16 tests in [\d.]+s\n\nOK\n$/m, r.stderr);
});

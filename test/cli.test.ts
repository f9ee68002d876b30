import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-cli-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, cwd: tmp });
}

test('maskpack --help lists the subcommands; unknown commands exit 2', () => {
  const r = cli(['--help']);
  assert.equal(r.status, 0);
  for (const c of ['ingest', 'merge', 'stats']) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
  assert.equal(cli(['frobnicate']).status, 2);
  assert.match(cli(['ingest', '--help']).stdout, /--input-format <fmt>/);
});

test('ingest from stdin with --json, then stats and merge', () => {
  const r = cli(['ingest', '-', '--out', 's', '--workers', '1', '--json'], 'Hello there. General Kenobi!');
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual([summary.documents, summary.sentences, summary.workers], [1, 2, 1]);
  const st = cli(['stats', 's', '--json']);
  assert.equal(st.status, 0, st.stderr);
  assert.equal(JSON.parse(st.stdout).tokens, summary.tokens);
  assert.match(cli(['stats', 's']).stdout, /tokens per sentence: min \d+/);
  const m = cli(['merge', 's', 's', '--out', 'ss', '--json']);
  assert.equal(m.status, 0, m.stderr);
  assert.equal(JSON.parse(m.stdout).documents, 2);
});

test('failures exit non-zero with a clear message and leave no store', () => {
  const missing = cli(['ingest', 'missing.txt', '--out', 'x']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /missing\.txt: no such file or directory \[ERR_BAD_INPUT\]/);
  fs.writeFileSync(path.join(tmp, 'bad.jsonl'), '{"text":"a"}\n{oops\n');
  const bad = cli(['ingest', 'bad.jsonl', '--out', 'x', '-w', '1']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /bad\.jsonl:2: invalid JSON/);
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.startsWith('x.')), []);
  const usage = cli(['ingest', 'bad.jsonl', '--out', 'x', '--workers', 'two']);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /--workers must be an integer, got "two"/);
  assert.equal(cli(['ingest', 'bad.jsonl']).status, 2);
  assert.equal(cli(['stats', 'nothing']).status, 1);
});

test('SIGTERM during ingest exits 130 and removes the temporaries', async () => {
  const { spawn } = await import('node:child_process');
  const big = path.join(tmp, 'big.txt');
  fs.writeFileSync(big, 'A sentence of text that goes on. '.repeat(300_000));
  const child = spawn(process.execPath, [bin, 'ingest', big, '--out', 'sig/store', '--workers', '1'], { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const dir = path.join(tmp, 'sig');
  const deadline = Date.now() + 20_000;
  while (!(fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith('.tmp'))) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGTERM');
  const code = await new Promise((r) => child.on('close', r));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted; nothing was written/);
  assert.deepEqual(fs.readdirSync(dir), []);
});

/** Inputs that are not regular files (FIFOs, process substitution), interruption while waiting for one, and write failures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultCorpusFiles } from 'maskpack';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-special-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const CLI = path.join(import.meta.dirname, '..', 'src', 'cli', 'main.js');
const corpus = defaultCorpusFiles()[210];

function leftovers(prefix: string): string[] {
  return fs.readdirSync(path.dirname(prefix)).filter((f) => f.startsWith(`${path.basename(prefix)}.`));
}

function reference(): string {
  const out = path.join(tmp, 'reference');
  if (!fs.existsSync(`${out}.json`)) execFileSync(process.execPath, [CLI, 'ingest', corpus, '--out', out, '-w', '1']);
  return out;
}

function sameStore(a: string, b: string): void {
  for (const ext of ['bin', 'idx']) assert.ok(fs.readFileSync(`${a}.${ext}`).equals(fs.readFileSync(`${b}.${ext}`)), `${ext} equal`);
}

function run(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  child.stdout!.resume();
  return { child, done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr }))) };
}

test('a FIFO with a writer and a process substitution are read as streams (same store as the file)', { timeout: 60_000 }, async () => {
  const fifo = path.join(tmp, 'corpus.fifo');
  execFileSync('mkfifo', [fifo]);
  const out = path.join(tmp, 'from-fifo');
  const { done } = run(['ingest', fifo, '--out', out, '-w', '1']);
  await fs.promises.writeFile(fifo, fs.readFileSync(corpus));
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  sameStore(out, reference());

  const sub = path.join(tmp, 'from-substitution');
  const gz = path.join(tmp, 'corpus.gz');
  execFileSync('sh', ['-c', `gzip -c "$1" > "$2"`, 'sh', corpus, gz]);
  const bash = spawnSync('bash', ['-c', `"$1" "$2" ingest <(zcat "$3") --out "$4" -w 1`, 'bash', process.execPath, CLI, gz, sub], { encoding: 'utf8' });
  assert.equal(bash.status, 0, bash.stderr);
  sameStore(sub, reference());
});

test('an ingest waiting for a FIFO writer exits 130 on SIGINT and SIGTERM and leaves no temporaries', { timeout: 60_000 }, async () => {
  const fifo = path.join(tmp, 'silent.fifo');
  execFileSync('mkfifo', [fifo]);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const out = path.join(tmp, `waiting-${signal}`);
    const { child, done } = run(['ingest', fifo, '--out', out, '-w', '1']);
    for (let i = 0; i < 200 && leftovers(out).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(leftovers(out).length > 0, 'the run has started writing');
    child.kill(signal);
    // Bounded: a run that ignores the signal (blocked in open(2)) is killed and the test fails.
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const r = await done;
    clearTimeout(timer);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /interrupted; nothing was written/);
    assert.deepEqual(leftovers(out), []);
  }
});

test('a write that fails (the file size limit: EFBIG, as ENOSPC would) names the file and the error, and leaves nothing', () => {
  const big = path.join(tmp, 'big.txt');
  fs.writeFileSync(big, defaultCorpusFiles().slice(200, 215).map((f) => fs.readFileSync(f, 'utf8')).join('\n'));
  const out = path.join(tmp, 'limited', 'store');
  const r = spawnSync('sh', ['-c', 'ulimit -f 128 && exec "$@"', 'sh', process.execPath, CLI, 'ingest', big, '--out', out, '-w', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /limited\/store\.bin\.\d+-\d+\.tmp: cannot write, the file size limit was reached \(EFBIG: file too large, write\) \[ERR_STORE_IO\]/);
  assert.deepEqual(leftovers(out), []);
});

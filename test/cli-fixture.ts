/**
 * Shared support of the CLI tests: the built `maskpack` binary, and a small English store
 * ingested through it (real GPT-2 ids, so decoded rows are words; no `[`, `]` or `→` in the
 * text, so the brackets of `inspect` are unambiguous).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLoader, openStore, type Batch, type LoaderOptions, type PaddedDenseLoaderOptions } from 'maskpack';

export const bin = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const dispatch = new URL('../src/cli/dispatch.js', import.meta.url).href;

export interface Run { status: number | null; stdout: string; stderr: string }

/**
 * `maskpack args...` run in this process (the dispatcher the executable runs), with `cwd` as the
 * working directory and standard output and error captured: for tables of usage errors, where a
 * process per case would cost more than the cases.
 */
export async function cliHere(cwd: string, args: string[]): Promise<Run> {
  const { main } = await import(dispatch);
  const out = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const before = process.cwd();
  process.chdir(cwd);
  // Commands write strings; the test runner's own reports (bytes) pass through.
  const capture = (name: 'stdout' | 'stderr') => ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== 'string') return (writes[name] as (...a: unknown[]) => boolean).call(process[name], chunk, ...rest);
    out[name] += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  try {
    const status = await (main as (argv: string[]) => Promise<number>)(args);
    return { status, ...out };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    process.chdir(before);
  }
}

/** Run `maskpack args...` in `cwd` with piped (non-TTY) output. */
export function cli(cwd: string, args: string[]): Run {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd, env: { ...process.env, NO_COLOR: '' } });
}

const WORDS = 'the quick brown fox jumps over a lazy dog while people of the nation listen to congress about state and union'.split(' ');

/** A temporary folder (removed at exit) holding the store `s` of 24 documents. */
export function fixture(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-cli-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  let x = 7;
  const next = (n: number): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return Math.floor((x / 2 ** 32) * n);
  };
  const lines: string[] = [];
  for (let d = 0; d < 24; d++) {
    for (let s = 0, n = 2 + next(6); s < n; s++) {
      const words = Array.from({ length: 3 + next(20) }, () => WORDS[next(WORDS.length)]);
      lines.push(`${words.join(' ')}.`.replace(/^./, (c) => c.toUpperCase()));
    }
    lines.push('');
  }
  fs.writeFileSync(path.join(dir, 'corpus.txt'), lines.join('\n'));
  const r = cli(dir, ['ingest', 'corpus.txt', '--out', 's', '--input-format', 'lines', '--workers', '1']);
  if (r.status !== 0) throw new Error(`ingest failed: ${r.stderr}`);
  return dir;
}

/** Batches `[from, from + count)` of one epoch through the library's loader. */
export async function libraryBatches(prefix: string, options: PaddedDenseLoaderOptions, from = 0, count = Infinity): Promise<Batch[]> {
  const store = openStore(prefix);
  const out: Batch[] = [];
  let i = 0;
  try {
    for await (const b of createLoader(store, { workers: 0, ...options, epochs: 1 })) {
      if (i >= from && i < from + count) out.push(b);
      if (++i >= from + count) break;
    }
  } finally {
    store.close();
  }
  return out;
}

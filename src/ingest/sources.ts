/** Turning the `inputs` of an ingest run (files, directories, globs, `-`) into an ordered list. */
import fs from 'node:fs';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { MaskpackError } from '../errors.js';

/** One input: a file (with its size) or standard input. */
export type Source = { readonly kind: 'file'; readonly path: string; readonly size: number } | { readonly kind: 'stdin' };

function walk(dir: string, out: string[]): void {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

const GLOB_CHARS = /[*?[\]{}]/;

/**
 * Resolve inputs in order: a file as given; a directory as its files (recursively, sorted by
 * name, hidden entries skipped); a pattern with `* ? [ ] { }` that names no existing path as
 * its sorted matches; `-` as standard input. A missing path or a pattern with no match is an
 * `ERR_BAD_INPUT` error (rejected before anything is written).
 */
export async function resolveInputs(inputs: readonly string[]): Promise<Source[]> {
  const out: Source[] = [];
  for (const input of inputs) {
    if (input === '-') {
      out.push({ kind: 'stdin' });
      continue;
    }
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(input);
    } catch {
      stat = undefined;
    }
    let files: string[];
    if (stat?.isDirectory()) {
      files = [];
      walk(input, files);
    } else if (stat) {
      files = [input];
    } else if (GLOB_CHARS.test(input)) {
      files = (await glob(input, { onlyFiles: true, expandDirectories: false })).sort();
      if (files.length === 0) throw new MaskpackError('ERR_BAD_INPUT', `${input}: the pattern matches no files`);
    } else {
      throw new MaskpackError('ERR_BAD_INPUT', `${input}: no such file or directory`);
    }
    for (const f of files) {
      try {
        out.push({ kind: 'file', path: f, size: fs.statSync(f).size });
      } catch (err) {
        throw new MaskpackError('ERR_BAD_INPUT', `${f}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  return out;
}

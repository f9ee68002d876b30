/**
 * Turning the `inputs` of an ingest run (files, directories, globs, `-`) into an ordered list.
 *
 * The list is planned once and, past {@link KEEP_SOURCES} files, walked again lazily, so memory
 * does not grow with the number of files under a directory: the plan then keeps only counts, and
 * the walk holds the sorted entry names of the directories on its current path. (A glob's matches are held as one list of paths,
 * since the glob library returns them so.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { MaskpackError } from '../errors.js';

/**
 * One input: a regular file (read with positional reads), a special file that can only be read
 * front to back (a FIFO, a process substitution's `/dev/fd/N`, a character device), or stdin.
 */
export type Source =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'special'; readonly path: string; readonly fifo: boolean }
  | { readonly kind: 'stdin' };

/** What {@link planInputs} found, and the sources in order. */
export interface InputPlan {
  /** Number of sources (files, special files and stdin). */
  readonly count: number;
  /** Total bytes of the regular files; `undefined` when stdin or a special file is among the inputs. */
  readonly totalBytes: number | undefined;
  /** The sources in order, walking directories again (cheap: names and types only). */
  sources(): Iterable<Source>;
}

type Item = { kind: 'stdin' } | { kind: 'dir'; path: string } | { kind: 'paths'; paths: readonly string[] };

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The regular files below `dir`, depth first, each directory's entries sorted by name, hidden entries skipped. */
function* walk(dir: string): Generator<string> {
  const entries = fs.readdirSync(dir, { withFileTypes: true });
  const dirs = new Set<string>();
  const names: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) dirs.add(e.name);
    else if (!e.isFile()) continue;
    names.push(e.name);
  }
  entries.length = 0;
  names.sort(byName);
  for (const name of names) {
    const p = path.join(dir, name);
    if (dirs.has(name)) yield* walk(p);
    else yield p;
  }
}

function source(p: string, stat: fs.Stats): Source {
  if (stat.isFile()) return { kind: 'file', path: p };
  if (stat.isFIFO() || stat.isCharacterDevice() || stat.isBlockDevice()) return { kind: 'special', path: p, fifo: stat.isFIFO() };
  throw new MaskpackError('ERR_BAD_INPUT', `${p}: not a file, directory, FIFO or device (a socket cannot be read as an input)`);
}

function statOrFail(p: string): fs.Stats {
  try {
    return fs.statSync(p);
  } catch (err) {
    throw new MaskpackError('ERR_BAD_INPUT', `${p}: ${(err as Error).message}`, { cause: err });
  }
}

/** The sources of `items`; `stats` is given each stat'ed path (a directory's files are known to be regular from its entries). */
function* expand(items: readonly Item[], stats?: (stat: fs.Stats) => void): Generator<Source> {
  for (const item of items) {
    if (item.kind === 'stdin') {
      yield { kind: 'stdin' };
    } else if (item.kind === 'paths') {
      for (const p of item.paths) {
        const stat = statOrFail(p);
        stats?.(stat);
        yield source(p, stat);
      }
    } else if (stats) {
      for (const p of walk(item.path)) {
        stats(statOrFail(p));
        yield { kind: 'file', path: p };
      }
    } else {
      for (const p of walk(item.path)) yield { kind: 'file', path: p };
    }
  }
}

const GLOB_CHARS = /[*?[\]{}]/;
/**
 * Up to this many sources the first pass's list is kept for the run (~100 bytes each, a few MB),
 * so small runs do not walk their directories twice; beyond it the directories are walked again.
 */
const KEEP_SOURCES = 1 << 16;

/**
 * Resolve inputs in order: a file as given; a directory as its regular files (recursively,
 * sorted by name, hidden entries skipped); a pattern with `* ? [ ] { }` that names no existing
 * path as its sorted matches; `-` as standard input; a FIFO or device given by name as a special
 * source. A missing path, a pattern with no match or a socket is an `ERR_BAD_INPUT` error
 * (rejected before anything is written). Every file is stat'ed once here, for the total size.
 */
export async function planInputs(inputs: readonly string[]): Promise<InputPlan> {
  const items: Item[] = [];
  for (const input of inputs) {
    if (input === '-') {
      items.push({ kind: 'stdin' });
      continue;
    }
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(input);
    } catch {
      stat = undefined;
    }
    if (stat?.isDirectory()) {
      items.push({ kind: 'dir', path: input });
    } else if (stat) {
      items.push({ kind: 'paths', paths: [input] });
    } else if (GLOB_CHARS.test(input)) {
      const files = (await glob(input, { onlyFiles: true, expandDirectories: false })).sort();
      if (files.length === 0) throw new MaskpackError('ERR_BAD_INPUT', `${input}: the pattern matches no files`);
      items.push({ kind: 'paths', paths: files });
    } else {
      throw new MaskpackError('ERR_BAD_INPUT', `${input}: no such file or directory`);
    }
  }
  let count = 0;
  let bytes = 0;
  let sized = true;
  let kept: Source[] | undefined = [];
  for (const s of expand(items, (stat) => { bytes += stat.size; })) {
    count++;
    if (s.kind !== 'file') sized = false;
    if (kept && kept.push(s) > KEEP_SOURCES) kept = undefined;
  }
  const list = kept;
  return { count, totalBytes: sized ? bytes : undefined, sources: list ? () => list.values() : () => expand(items) };
}

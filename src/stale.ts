/**
 * Temporaries left by runs that were killed (SIGKILL, a crash, a second Ctrl-C): every writer
 * names its temporaries with its process id, and the next run writing to the same place removes
 * those whose process is gone. A temporary of a live process (a concurrent run) is never touched.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Whether process `pid` exists: signal 0 tests without sending anything (`ESRCH`: no such
 * process; `EPERM`: it exists, under another user). A reused pid reads as alive, so its
 * temporaries are kept: the safe side.
 */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the files of `dir` for which `pidOf(name)` gives the id of a process that no longer
 * exists (`pidOf` returns undefined for names that are not such temporaries). A missing `dir`
 * has none. Returns the names removed.
 */
export function removeStaleTemporaries(dir: string, pidOf: (name: string) => number | undefined): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = pidOf(name);
    if (pid === undefined || !Number.isSafeInteger(pid) || pid <= 0 || processAlive(pid)) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * `maskpack stream` as the tests read it: the CLI's raw bytes, decoded by NumPy alone
 * (`numpy.lib.format.read_array` in a loop, the way the README tells a NumPy-only consumer to).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { bin } from '../cli-fixture.js';
import type { NpyContent } from './numpy.js';

// read_array takes NumPy's fast path for real files, which needs a seekable file: a pipe is
// handed over as an object with only `read`.
const READ_STREAM = `
import json, sys, types, numpy as np
f = types.SimpleNamespace(read=sys.stdin.buffer.read)
def content(a):
    return {'dtype': str(a.dtype), 'shape': list(a.shape), 'values': a.reshape(-1).tolist()}
batches = []
while True:
    raw = np.lib.format.read_array(f)
    assert raw.dtype == np.uint8 and raw.ndim == 1, (raw.dtype, raw.shape)
    header = json.loads(raw.tobytes().decode('utf-8'))
    if header.get('end'):
        break
    batches.append({'header': header, 'arrays': {name: content(np.lib.format.read_array(f)) for name in header['arrays']}})
print(json.dumps({'batches': batches, 'end': header, 'trailing': len(sys.stdin.buffer.read())}))
`;

const READ_FOLDER = `
import glob, json, os, sys, numpy as np
out = {}
for p in sorted(glob.glob(os.path.join(sys.argv[1], '*.npy'))):
    a = np.load(p)
    out[os.path.basename(p)[:-4]] = {'dtype': str(a.dtype), 'shape': list(a.shape), 'values': a.reshape(-1).tolist()}
print(json.dumps(out))
`;

/** A header record's JSON. */
export interface Header {
  maskpack: string;
  epoch: number;
  batchIndex: number;
  arrays: string[];
  state: { seed: number; epoch: number; batchIndex: number; optionsHash: string };
  end?: boolean;
  batches?: number;
}

export interface StreamedBatch {
  header: Header;
  arrays: Record<string, NpyContent>;
}

export interface Streamed {
  batches: StreamedBatch[];
  end: Header;
  /** Bytes after the end record (0 in a well-formed stream). */
  trailing: number;
}

/** Runs `maskpack stream args...` in `cwd` to the end; its exit status, raw stdout and stderr. */
export function streamBytes(cwd: string, args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'stream', ...args], { cwd, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

/** The batches of a stream's bytes as NumPy reads them. */
export function readStream(bytes: Buffer): Streamed {
  return JSON.parse(execFileSync('python3', ['-c', READ_STREAM], { input: bytes, encoding: 'utf8', maxBuffer: 1 << 28 }));
}

/** `maskpack stream args...` run to the end (exit 0, nothing on stderr), as NumPy reads it. */
export function stream(cwd: string, args: string[]): Streamed {
  const r = streamBytes(cwd, args);
  if (r.status !== 0 || r.stderr !== '') throw new Error(`maskpack stream ${args.join(' ')}: status ${r.status}: ${r.stderr}`);
  return readStream(r.stdout);
}

/** Every `.npy` file of an export's epoch folder, as NumPy loads it, by name. */
export function loadFolder(dir: string): Record<string, NpyContent> {
  return JSON.parse(execFileSync('python3', ['-c', READ_FOLDER, dir], { encoding: 'utf8', maxBuffer: 1 << 28 }));
}

/** Rows `[from, to)` of an array NumPy loaded (the first axis). */
export function rowSlice(a: NpyContent, from: number, to: number): NpyContent {
  const width = a.shape.slice(1).reduce((x, y) => x * y, 1);
  return { dtype: a.dtype, shape: [to - from, ...a.shape.slice(1)], values: a.values.slice(from * width, to * width) };
}

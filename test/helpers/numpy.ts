/** numpy as an independent reader of exported `.npy` folders (python3 with numpy is on every machine here). */
import { execFileSync } from 'node:child_process';

const PY = `
import json, sys, numpy as np
d = sys.argv[1]
out = {}
for name in ['input_ids', 'attention_mask', 'labels', 'token_type_ids', 'next_sentence_label', 'batch_offsets', 'batch_shapes']:
    try:
        a = np.load(f'{d}/{name}.npy')
    except FileNotFoundError:
        continue
    out[name] = {'dtype': str(a.dtype), 'shape': list(a.shape), 'values': a.reshape(-1).tolist()}
print(json.dumps(out))
`;

export interface NpyContent {
  dtype: string;
  shape: number[];
  values: number[];
}

/** Every array numpy loads from an export's epoch folder, by file name without `.npy`. */
export function loadWithNumpy(dir: string): Record<string, NpyContent> {
  return JSON.parse(execFileSync('python3', ['-c', PY, dir], { encoding: 'utf8', maxBuffer: 1 << 28 }));
}

/** The arrays concatenated, as numpy would show them. */
export function concat(arrays: ArrayLike<number>[]): number[] {
  return arrays.flatMap((a) => Array.from(a));
}

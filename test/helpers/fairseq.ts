/**
 * An independent reader of fairseq's MMapIndexedDataset (`--dataset-impl mmap`), written in
 * Python/numpy from fairseq's `fairseq/data/indexed_dataset.py` (`MMapIndexedDataset.Index`):
 * magic, u64 version, u8 dtype code, u64 length, int32 sizes, int64 pointers; tokens from a
 * memory map of `.bin` at each pointer. It shares no code with maskpack.
 */
import { execFileSync } from 'node:child_process';

const PY = `
import json, struct, sys, numpy as np
prefix = sys.argv[1]
code_to_dtype = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64, 6: np.float64, 7: np.double, 8: np.uint16, 9: np.uint32, 10: np.uint64}
with open(prefix + '.idx', 'rb') as f:
    assert f.read(9) == b'MMIDIDX\\x00\\x00'
    assert struct.unpack('<Q', f.read(8)) == (1,)
    (code,) = struct.unpack('<B', f.read(1))
    dtype = code_to_dtype[code]
    (n,) = struct.unpack('<Q', f.read(8))
    offset = f.tell()
idx = np.memmap(prefix + '.idx', mode='r', order='C')
sizes = np.frombuffer(idx, dtype=np.int32, count=n, offset=offset)
pointers = np.frombuffer(idx, dtype=np.int64, count=n, offset=offset + sizes.nbytes)
data = np.memmap(prefix + '.bin', mode='r', order='C')
seqs = [np.frombuffer(data, dtype=dtype, count=int(sizes[i]), offset=int(pointers[i])).tolist() for i in range(n)]
print(json.dumps({'dtype': np.dtype(dtype).name, 'idxBytes': int(idx.size), 'end': int(offset + sizes.nbytes + pointers.nbytes), 'sequences': seqs}))
`;

export interface FairseqContent {
  dtype: string;
  /** Size of the `.idx` file and where fairseq's layout says it ends. */
  idxBytes: number;
  end: number;
  sequences: number[][];
}

/** The sequences of the fairseq dataset at `prefix`, as fairseq's reader sees them. */
export function readFairseq(prefix: string): FairseqContent {
  return JSON.parse(execFileSync('python3', ['-c', PY, prefix], { encoding: 'utf8', maxBuffer: 1 << 28 }));
}

/** The ids a fairseq `Dictionary` gives the symbols of a `dict.txt` (4 special symbols first, one id per line after). */
export function fairseqDictionaryIds(text: string): Map<string, number> {
  const ids = new Map<string, number>([['<s>', 0], ['<pad>', 1], ['</s>', 2], ['<unk>', 3]]);
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const sp = line.lastIndexOf(' ');
    if (sp < 0 || !/^\d+$/.test(line.slice(sp + 1))) throw new Error(`bad dict.txt line ${JSON.stringify(line)}`);
    ids.set(line.slice(0, sp), ids.size);
  }
  return ids;
}

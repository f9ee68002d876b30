import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStoreWriter, openStore } from 'maskpack';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-corrupt-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

// Store: documents [[5,6,7],[8]] and [[9,10]]: S = 3, D = 2, uint16.
// .idx: header 0..33, lengths at 34/38/42, pointers at 46/54/62, document index at 70/78/86.
const good = path.join(tmp, 'good');
{
  const table = new Uint8Array(100);
  const w = createStoreWriter(good, {
    vocabSize: 100,
    specials: { bos: 0, pad: 1, eos: 2, unk: 3, cls: 0, sep: 2, mask: 4, all: [0, 1, 2, 3, 4] },
    tokenizer: { name: 'test', source: 'test', vocabSize: 100 },
    wordStarts: { rule: 'none', description: 'test', table },
  });
  w.addDocument([[5, 6, 7], [8]]);
  w.addDocument([[9, 10]]);
  w.finish();
}

type Files = { idx: Buffer; bin: Buffer; json: any };
interface Case { name: string; edit: (f: Files) => Files | void; file: 'idx' | 'bin' | 'json'; field: RegExp; checksums?: boolean }

const i64 = (b: Buffer, off: number, v: bigint): void => { b.writeBigInt64LE(v, off); };
const cases: Case[] = [
  { name: 'magic', file: 'idx', field: /: magic is "MMIDIDY/, edit: (f) => { f.idx[6] = 0x59; } },
  { name: 'version', file: 'idx', field: /: version is 2, expected 1/, edit: (f) => { f.idx.writeBigUInt64LE(2n, 9); } },
  { name: 'dtype code', file: 'idx', field: /: dtype code is 7/, edit: (f) => { f.idx[17] = 7; } },
  { name: 'dtype vs manifest', file: 'json', field: /: idx\.dtype is "int32", but the \.idx says uint16/, edit: (f) => { f.json.idx.dtype = 'int32'; } },
  { name: 'sequence count vs size', file: 'idx', field: /: file size is 94 bytes, expected 106 for sequence count 4/, edit: (f) => { f.idx.writeBigUInt64LE(4n, 18); } },
  { name: 'huge sequence count', file: 'idx', field: /: sequence count is 18446744073709551615/, edit: (f) => { f.idx.writeBigUInt64LE(2n ** 64n - 1n, 18); } },
  { name: 'document count', file: 'idx', field: /: document count is 9, expected in \[1, sequence count \+ 1 = 4\]/, edit: (f) => { f.idx.writeBigUInt64LE(9n, 26); } },
  { name: 'document count zero', file: 'idx', field: /: document count is 0/, edit: (f) => { f.idx.writeBigUInt64LE(0n, 26); } },
  { name: 'truncated header', file: 'idx', field: /: header is truncated: 20 bytes/, edit: (f) => ({ ...f, idx: f.idx.subarray(0, 20) }) },
  { name: 'truncated arrays', file: 'idx', field: /: file size is 90 bytes, expected 94/, edit: (f) => ({ ...f, idx: f.idx.subarray(0, 90) }) },
  { name: 'negative length', file: 'idx', field: /: sequence lengths\[1\] is -1/, edit: (f) => { f.idx.writeInt32LE(-1, 38); } },
  { name: 'length vs pointer', file: 'idx', field: /: sequence pointers\[2\] is 8, expected 10/, edit: (f) => { f.idx.writeInt32LE(2, 38); } },
  { name: 'first pointer', file: 'idx', field: /: sequence pointers\[0\] is 2, expected 0/, edit: (f) => { i64(f.idx, 46, 2n); } },
  { name: 'negative pointer', file: 'idx', field: /: sequence pointers\[1\] is -6, expected 6/, edit: (f) => { i64(f.idx, 54, -6n); } },
  { name: 'pointer not monotonic', file: 'idx', field: /: sequence pointers\[2\] is 4, expected 8/, edit: (f) => { i64(f.idx, 62, 4n); } },
  { name: 'bin size', file: 'bin', field: /\.bin: file size is 10 bytes, expected 12/, edit: (f) => ({ ...f, bin: f.bin.subarray(0, 10) }) },
  { name: 'document index start', file: 'idx', field: /: document index\[0\] is 1, expected 0/, edit: (f) => { i64(f.idx, 70, 1n); } },
  { name: 'document index range', file: 'idx', field: /: document index\[1\] is 7, out of range \[0, 3\]/, edit: (f) => { i64(f.idx, 78, 7n); } },
  { name: 'document index negative', file: 'idx', field: /: document index\[1\] is -1, out of range/, edit: (f) => { i64(f.idx, 78, -1n); } },
  { name: 'document index order', file: 'idx', field: /: document index\[2\] is 1, less than document index\[1\] = 2/, edit: (f) => { i64(f.idx, 86, 1n); } },
  { name: 'document index end', file: 'idx', field: /: document index\[2\] is 2, expected the sequence count 3/, edit: (f) => { i64(f.idx, 78, 1n); i64(f.idx, 86, 2n); } },
  { name: 'id out of vocabulary', file: 'bin', field: /\.bin: token\[4\] is 100, not below the vocabulary size 100/, edit: (f) => { f.bin.writeUInt16LE(100, 8); } },
  { name: 'manifest JSON', file: 'json', field: /\.json: JSON does not parse/, edit: (f) => { f.json = '{'; } },
  { name: 'manifest format', file: 'json', field: /: format is "x"/, edit: (f) => { f.json.format = 'x'; } },
  { name: 'manifest version', file: 'json', field: /: formatVersion is 2/, edit: (f) => { f.json.formatVersion = 2; } },
  { name: 'vocab size', file: 'json', field: /: tokenizer\.vocabSize is -5/, edit: (f) => { f.json.tokenizer.vocabSize = -5; } },
  { name: 'vocab too big for uint16', file: 'json', field: /: tokenizer\.vocabSize is 70000, too large for dtype uint16/, edit: (f) => { f.json.tokenizer.vocabSize = 70000; } },
  { name: 'token count', file: 'json', field: /: counts\.tokens is 7, but the \.idx has 6/, edit: (f) => { f.json.counts.tokens = 7; } },
  { name: 'document count in manifest', file: 'json', field: /: counts\.documents is 3/, edit: (f) => { f.json.counts.documents = 3; } },
  { name: 'special id', file: 'json', field: /: specialTokens\.mask is 100, expected an id in \[0, 100\)/, edit: (f) => { f.json.specialTokens.mask = 100; } },
  { name: 'special list', file: 'json', field: /: specialTokens\.all is \[0,-1\]/, edit: (f) => { f.json.specialTokens.all = [0, -1]; } },
  { name: 'word starts', file: 'json', field: /: wordStarts\.bitset does not hold 100 bits/, edit: (f) => { f.json.wordStarts.bitset = 'AA=='; } },
  { name: 'sha256 format', file: 'json', field: /: sha256\.bin is "zz"/, edit: (f) => { f.json.sha256.bin = 'zz'; } },
  { name: 'bin checksum', file: 'bin', field: /\.bin: sha256 is [0-9a-f]{64}, but .*records/, checksums: true, edit: (f) => { f.bin.writeUInt16LE(11, 0); } },
  // A store written before manifests carried their own digest: the file checksum still catches it.
  { name: 'idx checksum', file: 'idx', field: /\.idx: sha256 is [0-9a-f]{64}, but .*records/, checksums: true, edit: (f) => { f.json.sha256.idx = '0'.repeat(64); delete f.json.sha256.manifest; } },
  { name: 'manifest digest: a special id changed', file: 'json', field: /: sha256\.manifest is "[0-9a-f]{64}", but the manifest's content hashes to [0-9a-f]{64}/, edit: (f) => { f.json.specialTokens.unk = 5; } },
  { name: 'manifest digest: word starts changed', file: 'json', field: /: sha256\.manifest is/, edit: (f) => { f.json.wordStarts.bitset = Buffer.alloc(13, 0xff).toString('base64'); } },
  { name: 'manifest digest itself', file: 'json', field: /: sha256\.manifest is "x"/, edit: (f) => { f.json.sha256.manifest = 'x'; } },
  { name: 'vocabulary too large for any table', file: 'json', field: /: tokenizer\.vocabSize is 2147483647, larger than maskpack supports \(16777216\)/, edit: (f) => { f.json.tokenizer.vocabSize = 2 ** 31 - 1; } },
  { name: 'too many special ids', file: 'json', field: /: specialTokens\.all holds 69 ids besides the mask id, more than maskpack supports \(63\)/, edit: (f) => { f.json.specialTokens.all = Array.from({ length: 70 }, (_, i) => i); } },
  { name: 'deeply nested value', file: 'json', field: /: JSON is nested more than 32 levels deep/, edit: (f) => { f.json = `{"deep":${'['.repeat(100000)}${']'.repeat(100000)},${JSON.stringify(f.json).slice(1)}`; } },
  { name: 'huge string value quoted short', file: 'json', field: /: format is "xxxxxxxx[x]{100,120}… \(10000002 characters\)/, edit: (f) => { f.json.format = 'x'.repeat(1e7); } },
];

let n = 0;
for (const c of cases) {
  test(`corruption is caught and named: ${c.name}`, () => {
    const prefix = path.join(tmp, `c${n++}`);
    let files: Files = {
      idx: Buffer.from(fs.readFileSync(`${good}.idx`)),
      bin: Buffer.from(fs.readFileSync(`${good}.bin`)),
      json: JSON.parse(fs.readFileSync(`${good}.json`, 'utf8')),
    };
    files = c.edit(files) ?? files;
    fs.writeFileSync(`${prefix}.idx`, files.idx);
    fs.writeFileSync(`${prefix}.bin`, files.bin);
    fs.writeFileSync(`${prefix}.json`, typeof files.json === 'string' ? files.json : JSON.stringify(files.json));
    assert.throws(() => openStore(prefix, { verifyChecksums: c.checksums ?? false }), (err: any) => {
      assert.equal(err.code, 'ERR_STORE_CORRUPT', err.message);
      assert.ok(err.message.startsWith(`${prefix}.${c.file}: `), err.message);
      assert.match(err.message, c.field);
      return true;
    });
  });
}

test('a missing file is ERR_STORE_IO naming it', () => {
  for (const ext of ['json', 'idx', 'bin']) {
    const prefix = path.join(tmp, `missing-${ext}`);
    for (const e of ['json', 'idx', 'bin']) if (e !== ext) fs.copyFileSync(`${good}.${e}`, `${prefix}.${e}`);
    assert.throws(() => openStore(prefix), (err: any) => err.code === 'ERR_STORE_IO' && err.message.startsWith(`${prefix}.${ext}: `));
  }
});

test('a store file that is not a regular file is refused at once, without blocking or reading without end', () => {
  for (const ext of ['json', 'idx', 'bin']) {
    for (const kind of ['fifo', 'device'] as const) {
      const prefix = path.join(tmp, `special-${kind}-${ext}`);
      for (const e of ['json', 'idx', 'bin']) if (e !== ext) fs.copyFileSync(`${good}.${e}`, `${prefix}.${e}`);
      if (kind === 'fifo') assert.equal(spawnSync('mkfifo', [`${prefix}.${ext}`]).status, 0);
      else fs.symlinkSync('/dev/zero', `${prefix}.${ext}`);
      const t = Date.now();
      assert.throws(() => openStore(prefix), (err: any) => err.code === 'ERR_STORE_IO' && err.message === `${prefix}.${ext}: is not a regular file (a FIFO, a device or a directory); a store's files must be regular files`);
      assert.ok(Date.now() - t < 2000, `${kind} ${ext}: refused at once`);
    }
  }
});

test('a manifest larger than any real one is refused before it is read', () => {
  const prefix = path.join(tmp, 'big-manifest');
  for (const e of ['idx', 'bin']) fs.copyFileSync(`${good}.${e}`, `${prefix}.${e}`);
  fs.writeFileSync(`${prefix}.json`, Buffer.alloc((64 << 20) + 1, 0x20));
  assert.throws(() => openStore(prefix), { code: 'ERR_STORE_CORRUPT', message: new RegExp(`^${prefix}\\.json: file size is 67108865 bytes, more than a manifest can need`) });
});

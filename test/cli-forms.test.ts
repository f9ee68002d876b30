// The batch forms on the command line: stream writes what export writes (packed; sparse), inspect
// renders packed rows and sparse labels as it renders the padded batch, --help documents the
// flags, train refuses them, and bad values are usage errors naming the flag.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { cli, cliHere, fixture } from './cli-fixture.js';
import type { NpyContent } from './helpers/numpy.js';
import { loadFolder, stream } from './helpers/stream.js';

const dir = fixture();
const limit = { timeout: 60_000 };

/** An array of the streamed batches concatenated (values), each batch's values first mapped by `f(values, k)`. */
function joined(batches: { arrays: Record<string, NpyContent> }[], name: string, f: (v: number[], k: number) => number[] = (v) => v): number[] {
  return batches.flatMap((b, k) => f(b.arrays[name].values, k));
}

test('stream --layout packed writes the batches of export --layout packed (pair format, 2 epochs, 2 workers)', limit, () => {
  const options = ['--format', 'segment-pair', '--seq-len', '48', '--batch', '5', '--seed', '9', '--epochs', '2', '--workers', '2', '--layout', 'packed'];
  assert.equal(cli(dir, ['export', 's', '--out', 'packed', ...options]).status, 0);
  const s = stream(dir, ['s', ...options]);
  assert.deepEqual(s.batches[0].header.arrays, ['input_ids', 'position_ids', 'cu_seqlens', 'max_seqlen', 'labels', 'token_type_ids', 'next_sentence_label']);
  for (const epoch of [0, 1]) {
    const folder = loadFolder(path.join(dir, 'packed', `epoch-${epoch}`));
    const batches = s.batches.filter((b) => b.header.epoch === epoch);
    for (const name of ['input_ids', 'position_ids', 'labels', 'token_type_ids', 'next_sentence_label']) assert.deepEqual(joined(batches, name), folder[name].values, `epoch ${epoch} ${name}`);
    let T = 0;
    const cu = [0, ...joined(batches, 'cu_seqlens', (v) => {
      const out = v.slice(1).map((x) => x + T);
      T += v[v.length - 1];
      return out;
    })];
    assert.deepEqual(cu, folder.cu_seqlens.values, 'cu_seqlens re-based to the epoch');
    for (const b of batches) {
      const c = b.arrays.cu_seqlens.values;
      assert.deepEqual(b.arrays.max_seqlen, { dtype: 'int32', shape: [], values: [Math.max(...c.slice(1).map((x, r) => x - c[r]))] });
      assert.deepEqual(b.arrays.input_ids.shape, [c[c.length - 1]]);
    }
  }
});

test('stream --labels sparse --max-predictions writes the batches of export --width batch with the same flags', limit, () => {
  const options = ['--seq-len', '40', '--batch', '4', '--seed', '2', '--workers', '0', '--labels', 'sparse', '--mask-prob', '0.3'];
  assert.equal(cli(dir, ['export', 's', '--out', 'sparse', '--width', 'batch', ...options]).status, 0);
  const s = stream(dir, ['s', ...options]);
  assert.deepEqual(s.batches[0].header.arrays, ['input_ids', 'attention_mask', 'masked_positions', 'masked_ids', 'masked_row_start']);
  const folder = loadFolder(path.join(dir, 'sparse', 'epoch-0'));
  let at = 0;
  let masked = 0;
  const positions = joined(s.batches, 'masked_positions', (v, k) => {
    const out = v.map((p) => p + at);
    const [rows, width] = s.batches[k].arrays.input_ids.shape;
    at += rows * width;
    return out;
  });
  assert.deepEqual(positions, folder.masked_positions.values, 'flat positions into the epoch\'s raveled input_ids');
  assert.deepEqual(joined(s.batches, 'masked_ids'), folder.masked_ids.values);
  assert.deepEqual([0, ...joined(s.batches, 'masked_row_start', (v) => {
    const out = v.slice(1).map((x) => x + masked);
    masked += v[v.length - 1];
    return out;
  })], folder.masked_row_start.values);
  assert.deepEqual(joined(s.batches, 'input_ids'), folder.input_ids.values);

  const fixed = [...options, '--max-predictions', '30'];
  assert.equal(cli(dir, ['export', 's', '--out', 'fixed', '--width', 'batch', ...fixed]).status, 0);
  const f = stream(dir, ['s', ...fixed]);
  assert.deepEqual(f.batches[0].header.arrays, ['input_ids', 'attention_mask', 'masked_positions', 'masked_ids', 'masked_weights', 'masked_row_start']);
  const ff = loadFolder(path.join(dir, 'fixed', 'epoch-0'));
  for (const name of ['masked_positions', 'masked_ids', 'masked_weights']) {
    assert.deepEqual(f.batches.map((b) => b.arrays[name].shape), f.batches.map((b) => [b.arrays.input_ids.shape[0], 30]));
    assert.deepEqual(joined(f.batches, name), ff[name].values, name);
  }
  assert.equal(ff.masked_weights.dtype, 'float32');
});

test('inspect shows packed rows and sparse labels as it shows the padded batch', limit, () => {
  const flags = ['inspect', 's', '--seq-len', '64', '--batch', '4', '--seed', '5', '--mask-prob', '0.3', '--batch-index', '1'];
  const padded = cli(dir, flags);
  assert.equal(padded.status, 0, padded.stderr);
  const body = (out: string) => out.split('\n').slice(1).join('\n');
  for (const form of [['--layout', 'packed'], ['--labels', 'sparse'], ['--layout', 'packed', '--labels', 'sparse', '--max-predictions', '40']]) {
    const r = cli(dir, [...flags, ...form]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(body(r.stdout), body(padded.stdout), `${form.join(' ')}: the same rows, tokens and selections`);
  }
  const head = cli(dir, [...flags, '--layout', 'packed', '--labels', 'sparse']).stdout.split('\n')[0];
  assert.match(head, /· 4 rows packed, \d+ tokens \(longest \d+\) · sparse labels: \d+ masked positions$/);
  const json = JSON.parse(cli(dir, [...flags, '--layout', 'packed', '--labels', 'sparse', '--json']).stdout);
  assert.equal(json.layout, 'packed');
  assert.deepEqual(Object.keys(json).filter((k) => !['epoch', 'batch_index', 'layout', 'shape', 'sample_ids'].includes(k)),
    ['input_ids', 'position_ids', 'cu_seqlens', 'max_seqlen', 'masked_positions', 'masked_ids', 'masked_row_start']);
  assert.equal(json.input_ids.length, json.cu_seqlens[4]);
});

test('--help documents --layout, --labels and --max-predictions (train takes only --max-predictions and refuses the others by flag)', async () => {
  for (const command of ['inspect', 'export', 'stream']) {
    const r = cli(dir, [command, '--help']);
    for (const flag of ['layout <L>', 'labels <F>', 'max-predictions <N>']) assert.match(r.stdout, new RegExp(`^ {6}--${flag} .*\\(default: .+\\)$`, 'm'), `${command} --${flag}`);
  }
  const trainHelp = cli(dir, ['train', '--help']).stdout;
  assert.doesNotMatch(trainHelp, /^ {6}--(layout|labels) /m);
  assert.match(trainHelp, /^ {6}--max-predictions <N> /m);
  for (const [flag, value] of [['--layout', 'packed'], ['--labels', 'sparse']]) {
    const r = await cliHere(dir, ['train', 's', flag, value, '--steps', '1']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${flag} is not supported by training \\(the built-in model takes padded batches with dense labels\\), got "${value}"`));
  }
});

test('bad form flags are usage errors naming the flag', async () => {
  const cases: [string[], RegExp][] = [
    [['--layout', 'flat'], /--layout must be one of padded, packed, got "flat"/],
    [['--labels', 'few'], /--labels must be one of dense, sparse, got "few"/],
    [['--labels', 'sparse', '--max-predictions', '0'], /--max-predictions must be an integer in \[1, 1048576\], got 0/],
    [['--max-predictions', '2.5'], /--max-predictions must be an integer/],
    [['--max-predictions', '65', '--seq-len', '64'], /--max-predictions must be at most --seq-len \(64\): a row holds at most that many tokens, got 65/],
  ];
  for (const [flags, message] of cases) {
    const r = await cliHere(dir, ['inspect', 's', ...flags]);
    assert.equal(r.status, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const e = await cliHere(dir, ['export', 's', '--out', 'never', '--layout', 'packed', '--width', 'epoch']);
  assert.equal(e.status, 2);
  assert.match(e.stderr, /--width does not apply with --layout packed/);
});

test('span masking with a binding --max-predictions: the packed [B, N] export is the capped padded export rearranged, stream writes it, inspect shows the same rows', limit, () => {
  const N = 4;
  const options = ['--format', 'segment-pair', '--template', 'bert', '--seq-len', '48', '--batch', '5', '--seed', '3', '--mask-prob', '0.4', '--span-mask', '--workers', '2'];
  assert.equal(cli(dir, ['export', 's', '--out', 'span-uncapped', '--width', 'seq-len', ...options]).status, 0);
  assert.equal(cli(dir, ['export', 's', '--out', 'span-dense', '--width', 'seq-len', ...options, '--max-predictions', `${N}`]).status, 0);
  const fixed = [...options, '--layout', 'packed', '--labels', 'sparse', '--max-predictions', `${N}`];
  assert.equal(cli(dir, ['export', 's', '--out', 'span-fixed', ...fixed]).status, 0);
  const selections = (labels: NpyContent) => {
    const [rows, L] = labels.shape;
    return Array.from({ length: rows }, (_, r) => labels.values.slice(r * L, (r + 1) * L).flatMap((v, j) => (v === -100 ? [] : [j])));
  };
  const uncapped = selections(loadFolder(path.join(dir, 'span-uncapped', 'epoch-0')).labels);
  assert.ok(uncapped.some((s) => s.length > N), `without the cap some row selects more than ${N}`);
  const dense = loadFolder(path.join(dir, 'span-dense', 'epoch-0'));
  const packed = loadFolder(path.join(dir, 'span-fixed', 'epoch-0'));
  const [rows, L] = dense.input_ids.shape;
  const lengths = Array.from({ length: rows }, (_, r) => dense.attention_mask.values.slice(r * L, (r + 1) * L).reduce((a, b) => a + b, 0));
  assert.deepEqual(packed.input_ids.values, lengths.flatMap((n, r) => dense.input_ids.values.slice(r * L, r * L + n)), 'packed ids: the padded ones without padding');
  assert.deepEqual(packed.cu_seqlens.values, lengths.reduce((cu, n) => [...cu, cu[cu.length - 1] + n], [0]));
  const want = selections(dense.labels);
  assert.ok(want.every((s) => s.length <= N) && want.some((s) => s.length === N), `no row over ${N}, and the cap reached`);
  assert.deepEqual(packed.masked_positions.shape, [rows, N]);
  assert.deepEqual(packed.masked_positions.values, want.flatMap((s) => [...s, ...new Array(N - s.length).fill(0)]), 'row-local positions of the capped labels');
  assert.deepEqual(packed.masked_ids.values, want.flatMap((s, r) => [...s.map((j) => dense.labels.values[r * L + j]), ...new Array(N - s.length).fill(-100)]));
  assert.deepEqual(packed.masked_weights.values, want.flatMap((s) => [...s.map(() => 1), ...new Array(N - s.length).fill(0)]));
  assert.deepEqual(packed.masked_row_start.values, want.reduce((start, s) => [...start, start[start.length - 1] + s.length], [0]));

  const s = stream(dir, ['s', ...fixed]);
  for (const name of ['masked_positions', 'masked_ids', 'masked_weights', 'input_ids', 'token_type_ids', 'next_sentence_label']) {
    assert.deepEqual(joined(s.batches, name), packed[name].values, `stream ${name}`);
  }

  const flags = ['inspect', 's', ...options, '--max-predictions', `${N}`, '--batch-index', '2'];
  const padded = cli(dir, flags);
  assert.equal(padded.status, 0, padded.stderr);
  const r = cli(dir, [...flags, '--layout', 'packed', '--labels', 'sparse']);
  assert.equal(r.status, 0, r.stderr);
  const body = (out: string) => out.split('\n').slice(1).join('\n');
  assert.equal(body(r.stdout), body(padded.stdout), 'the same rows, tokens and selections');
  assert.match(r.stdout.split('\n')[0], new RegExp(`sparse labels: \\d+ masked positions in 5 × ${N}$`));
});

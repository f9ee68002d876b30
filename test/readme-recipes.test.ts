// The README's recipes are ready command lines: every `maskpack` line of the "Recipes" section
// runs (on a small store, one batch) and its batches hold exactly the arrays its `# arrays:` line
// names, with the invariants its flags promise (no row over --max-predictions, packed rows that
// add up, sparse lists that index masked positions).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fixture } from './cli-fixture.js';
import { stream, type StreamedBatch } from './helpers/stream.js';

const readme = fs.readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

interface Recipe { args: string[]; arrays: string[] }

/** The command lines of the README's Recipes section, each with the arrays its comment names. */
function recipes(): Recipe[] {
  const start = readme.indexOf('\n## Recipes\n');
  assert.ok(start >= 0, 'the README has a Recipes section');
  const section = readme.slice(start + 1, readme.indexOf('\n## ', start + 1));
  const out: Recipe[] = [];
  let arrays: string[] | undefined;
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1].split('\n')) {
      const names = /^# arrays: (.*)$/.exec(line);
      if (names) arrays = names[1].split(',').map((a) => a.trim());
      else if (line.startsWith('maskpack ')) {
        assert.ok(arrays, `${line}: no "# arrays:" line before it`);
        out.push({ args: line.split(/\s+/).slice(1), arrays });
        arrays = undefined;
      }
    }
  }
  return out;
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

function check(recipe: Recipe, batch: StreamedBatch): void {
  const a = batch.arrays;
  assert.deepEqual(batch.header.arrays, recipe.arrays);
  const n = Number(flag(recipe.args, '--max-predictions') ?? Infinity);
  if (a.labels) {
    const [rows, width] = a.labels.shape;
    assert.ok(width <= Number(flag(recipe.args, '--seq-len')));
    for (let r = 0; r < rows; r++) {
      const selected = a.labels.values.slice(r * width, (r + 1) * width).filter((v) => v !== -100).length;
      assert.ok(selected <= n, `row ${r}: ${selected} selected, more than ${n}`);
    }
    assert.ok(a.labels.values.some((v) => v !== -100), 'something is masked');
  }
  if (a.cu_seqlens) {
    const cu = a.cu_seqlens.values;
    assert.equal(cu[0], 0);
    assert.equal(cu[cu.length - 1], a.input_ids.shape[0]);
    assert.equal(a.position_ids.values.filter((p) => p === 0).length, cu.length - 1);
  }
  if (a.masked_positions) {
    const start = a.masked_row_start.values;
    assert.equal(start[start.length - 1], a.masked_positions.shape[0]);
    assert.ok(a.masked_positions.values.every((p, i) => i === 0 || p > a.masked_positions.values[i - 1]));
    assert.ok(a.masked_positions.values.length > 0);
  }
}

test('every README recipe runs and gives the arrays it names', () => {
  const dir = fixture();
  const list = recipes();
  assert.equal(list.length, 4, 'RoBERTa, BERT, ModernBERT-style, SpanBERT');
  for (const recipe of list) {
    assert.equal(recipe.args[0], 'stream');
    assert.equal(recipe.args[1], 'data/corpus');
    const args = [...recipe.args.slice(1), '--batches', '1', '--workers', '0'];
    args[0] = 's';
    const { batches } = stream(dir, args);
    assert.equal(batches.length, 1, recipe.args.join(' '));
    check(recipe, batches[0]);
  }
});

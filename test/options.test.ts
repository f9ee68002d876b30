import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSampleIndex, createMemoryStore, createSampler, robertaSpecials } from 'maskpack';
import { storeOf, syntheticDocuments } from './helpers.js';

const store = storeOf(syntheticDocuments(10, 1));

const BAD: [string, unknown, string, RegExp][] = [
  ['seqLen', 4, 'RangeError', /^options\.seqLen must be an integer in \[8, 65536\], got 4$/],
  ['seqLen', 100000, 'RangeError', /^options\.seqLen must be an integer in \[8, 65536\], got 100000$/],
  ['seqLen', 12.5, 'RangeError', /^options\.seqLen must be an integer in \[8, 65536\], got 12\.5$/],
  ['seqLen', '512', 'TypeError', /^options\.seqLen must be an integer, got "512"$/],
  ['format', 'full', 'RangeError', /^options\.format must be one of full-sentences, doc-sentences, segment-pair, sentence-pair, got "full"$/],
  ['format', 3, 'TypeError', /^options\.format must be one of full-sentences, doc-sentences, segment-pair, sentence-pair, got 3$/],
  ['template', 'gpt', 'RangeError', /^options\.template must be one of roberta, bert, got "gpt"$/],
  ['seed', -1, 'RangeError', /^options\.seed must be an integer in \[0, 4294967295\], got -1$/],
  ['seed', 2 ** 32, 'RangeError', /^options\.seed must be an integer in \[0, 4294967295\], got 4294967296$/],
  ['epoch', NaN, 'RangeError', /^options\.epoch must be an integer in \[0, 4294967295\], got NaN$/],
  ['batchSize', 0, 'RangeError', /^options\.batchSize must be an integer in \[1, 16777216\], got 0$/],
  ['batchBy', 'rows', 'RangeError', /^options\.batchBy must be one of count, tokens, got "rows"$/],
  ['tokenBudget', 100, 'RangeError', /^options\.tokenBudget must be an integer in \[512, 1099511627776\], got 100$/],
  ['countPadding', 1, 'TypeError', /^options\.countPadding must be a boolean, got 1$/],
  ['pad', 'right', 'RangeError', /^options\.pad must be one of longest, multiple, max, got "right"$/],
  ['padToMultipleOf', 0, 'RangeError', /^options\.padToMultipleOf must be an integer in \[1, 4096\], got 0$/],
  ['dropLast', 'yes', 'TypeError', /^options\.dropLast must be a boolean, got "yes"$/],
  ['worldSize', 0, 'RangeError', /^options\.worldSize must be an integer in \[1, 65536\], got 0$/],
  ['rank', 1, 'RangeError', /^options\.rank must be an integer in \[0, 0\], got 1$/],
  ['cache', 'no', 'TypeError', /^options\.cache must be a boolean, got "no"$/],
];

test('createSampler rejects each bad option with its name and value', () => {
  for (const [name, value, type, message] of BAD) {
    assert.throws(() => createSampler(store, { [name]: value }), { name: type, message }, `${name} = ${String(value)}`);
  }
});

test('option combinations are checked too', () => {
  assert.throws(() => createSampler(store, { batchSize: 2, worldSize: 4 }), { name: 'RangeError', message: 'options.batchSize must be >= options.worldSize (4), got 2' });
  assert.throws(() => createSampler(store, { rank: 4, worldSize: 4 }), { name: 'RangeError', message: 'options.rank must be an integer in [0, 3], got 4' });
  assert.throws(() => createSampler(store, { seqLen: 60, countPadding: true, batchBy: 'tokens', tokenBudget: 60 }), {
    name: 'RangeError', message: 'options.tokenBudget must be an integer in [64, 1099511627776], got 60',
  });
  assert.throws(() => createSampler(store, null as never), { name: 'TypeError', message: 'options must be an object, got null' });
});

test('buildSampleIndex validates the same options', () => {
  assert.throws(() => buildSampleIndex(store, { seqLen: 4 }), { name: 'RangeError', message: 'options.seqLen must be an integer in [8, 65536], got 4' });
  assert.throws(() => buildSampleIndex(store, { format: 'pairs' as never }), RangeError);
});

test('createMemoryStore validates its input', () => {
  assert.throws(() => createMemoryStore({ documents: [[[1, 100]]], vocabSize: 100, specials: robertaSpecials }), {
    name: 'RangeError', message: 'options.documents[0] holds token id 100, outside [0, 100)',
  });
  assert.throws(() => createMemoryStore({ documents: [[[1.5]]], vocabSize: 100, specials: robertaSpecials }), RangeError);
  assert.throws(() => createMemoryStore({ documents: [], vocabSize: 0, specials: robertaSpecials }), {
    name: 'RangeError', message: 'options.vocabSize must be a positive int32, got 0',
  });
  assert.throws(() => createMemoryStore({ documents: 'x' as never, vocabSize: 10, specials: robertaSpecials }), TypeError);
});

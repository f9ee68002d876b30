import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildRowPlan, buildSampleIndex, PAIR_FLAG, robertaSpecials,
  type FormatName, type PairSampleIndex, type SampleIndex, type SingleSampleIndex, type Template, type TokenStore,
} from 'maskpack';
import { bertSpecials, binomialHalfInterval, decodeRows, type DecodedRow, documentsArb, flatTokens, pairDocumentsArb, storeOf, syntheticDocuments, type Documents } from './helpers.js';

const FC = { seed: 20261126, numRuns: 150 };

/** Per flat token: its document and sentence; per document: its token range; non-empty sentences by start. */
function layoutMaps(docs: Documents) {
  const docOf: number[] = [];
  const sentenceOf: number[] = [];
  const sentenceAt = new Map<number, number>();
  const ends = new Set<number>();
  let t = 0;
  let sid = 0;
  docs.forEach((doc, d) => doc.forEach((s) => {
    if (s.length > 0) sentenceAt.set(t, s.length);
    for (let i = 0; i < s.length; i++) { docOf[t] = d; sentenceOf[t++] = sid; }
    ends.add(t);
    sid++;
  }));
  const docRange = docs.map(() => [Infinity, -Infinity]);
  docOf.forEach((d, i) => { docRange[d][0] = Math.min(docRange[d][0], i); docRange[d][1] = Math.max(docRange[d][1], i + 1); });
  return { docOf, sentenceOf, sentenceAt, ends, docRange };
}

function allRows(store: TokenStore, index: SampleIndex) {
  const ids = Uint32Array.from({ length: index.numSamples }, (_, i) => i);
  const plan = buildRowPlan(store, store.specials, index, ids, index.seqLen);
  return { plan, rows: decodeRows(store, plan) };
}

/** The invariant checker every format goes through. */
function checkIndex(docs: Documents, store: TokenStore, index: SampleIndex, template: Template): void {
  const roberta = template === 'roberta';
  const open = roberta ? store.specials.bos : store.specials.cls;
  const close = roberta ? store.specials.eos : store.specials.sep;
  const { plan, rows } = allRows(store, index);
  rows.forEach((row, i) => {
    assert.ok(row.tokens.length <= index.seqLen, `row ${i} longer than seqLen`);
    assert.equal(row.tokens.length, index.rowLength[i]);
    assert.equal(row.tokens[0], open, `row ${i} starts with open`);
    assert.equal(row.tokens[row.tokens.length - 1], close, `row ${i} ends with close`);
  });
  if (index.kind === 'single') checkSingle(docs, index, rows.map((r) => r.tokens), close);
  else checkPair(docs, index, rows, plan.nextSentenceLabel!, template, close);
}

/** Coverage, separators exactly at document boundaries, whole sentences, greedy fill. */
function checkSingle(docs: Documents, index: SingleSampleIndex, rows: number[][], close: number): void {
  const flat = flatTokens(docs);
  const { docOf, sentenceAt, ends } = layoutMaps(docs);
  const room = index.seqLen - 2;
  const crossing = index.format === 'full-sentences';
  let pos = 0;
  rows.forEach((row, i) => {
    assert.equal(index.tokenStart[i], pos, `sample ${i} starts where the previous ended`);
    const first = pos;
    let separator = false;
    for (const tok of row.slice(1, -1)) {
      if (tok === close) {
        assert.ok(crossing && pos > first && !separator, `row ${i}: unexpected separator`);
        separator = true;
        continue;
      }
      assert.equal(tok, flat[pos], `row ${i}: token at ${pos}`);
      if (pos > first) {
        const boundary = docOf[pos] !== docOf[pos - 1];
        assert.equal(separator, boundary, `row ${i}: separator exactly at the document boundary before ${pos}`);
      }
      separator = false;
      pos++;
    }
    assert.equal(separator, false, `row ${i}: no separator before the closing token`);
    assert.equal(index.tokenStart[i + 1], pos, `sample ${i} ends where the next starts`);
    if (!crossing) assert.equal(docOf[first], docOf[pos - 1], `doc-sentences row ${i} stays in one document`);
    const full = row.length === index.seqLen;
    assert.ok(sentenceAt.has(first) || rows[i - 1]?.length === index.seqLen, `row ${i} starts at a sentence or after a full piece`);
    assert.ok(ends.has(pos) || full, `row ${i} ends at a sentence or is full`);
    const nextLength = sentenceAt.get(pos);
    if (i + 1 < rows.length && nextLength !== undefined && (crossing || docOf[pos] === docOf[pos - 1])) {
      const sep = docOf[pos] !== docOf[pos - 1] ? 1 : 0;
      assert.ok(row.length - 2 + sep + nextLength > room, `greedy: the sentence at ${pos} would have fit in row ${i}`);
    }
  });
  assert.equal(pos, flat.length, 'every token in exactly one sample');
}

/** Layout, token types, labels, partners from other documents, sentence boundaries of sentence-pair. */
function checkPair(docs: Documents, index: PairSampleIndex, rows: DecodedRow[], labels: Int32Array, template: Template, close: number): void {
  const { docRange, docOf, sentenceOf, sentenceAt, ends } = layoutMaps(docs);
  /** Whether the token at `t` is in the last non-empty sentence of its document. */
  const lastSentenceOf = (t: number) => docRange[docOf[t]][1] - 1 >= t && sentenceOf[docRange[docOf[t]][1] - 1] === sentenceOf[t];
  const inside = (start: number, len: number, d: number) => start >= docRange[d][0] && start + len <= docRange[d][1];
  rows.forEach((row, i) => {
    const a = index.aLength[i];
    const b = index.bLength[i];
    assert.ok(a >= 1 && b >= 1, `sample ${i} has non-empty A and B`);
    const between = template === 'roberta' ? 2 : 1;
    assert.deepEqual(row.tokens.slice(1 + a, 1 + a + between), new Array(between).fill(close), `row ${i} separator`);
    const typeA = a + 2;
    assert.deepEqual(row.types, [...new Array(typeA).fill(0), ...new Array(row.tokens.length - typeA).fill(1)], `row ${i} token types`);
    assert.equal(labels[i], index.flags[i] & PAIR_FLAG.randomNext);
    assert.ok(inside(index.aStart[i], a, index.document[i]), `A of sample ${i} inside its document`);
    assert.ok(inside(index.bStart[i], b, index.partnerDocument[i]), `B of sample ${i} inside its partner document`);
    if (labels[i] === 1) assert.notEqual(index.partnerDocument[i], index.document[i], `random partner of ${i} from another document`);
    else {
      assert.equal(index.partnerDocument[i], index.document[i]);
      assert.ok(index.bStart[i] >= index.aStart[i] + a, `real B of ${i} follows A`);
    }
    if (!(index.flags[i] & PAIR_FLAG.coinFlipped)) {
      assert.equal(labels[i], 1, 'only a one-token last segment takes a random B without a coin');
      assert.ok(ends.has(index.aStart[i] + a) && a === 1 && lastSentenceOf(index.aStart[i]), `forced random B of ${i}: A is a one-token last sentence`);
    }
    const split = (index.flags[i] & PAIR_FLAG.splitSegment) !== 0;
    if (split) {
      assert.equal(labels[i], 0, `split ${i} is a real pair`);
      assert.equal(sentenceOf[index.aStart[i]], sentenceOf[index.bStart[i] + b - 1], `split ${i}: A and B in one sentence`);
      assert.ok(lastSentenceOf(index.aStart[i]), `split ${i}: the document's last sentence`);
      if (row.tokens.length < index.seqLen) assert.equal(index.bStart[i], index.aStart[i] + a, `untruncated split ${i}: B right after A`);
    }
    if (index.format === 'sentence-pair') {
      for (const [start, len] of [[index.aStart[i], a], [index.bStart[i], b]]) {
        assert.equal(sentenceOf[start], sentenceOf[start + len - 1], `sentence-pair ${i}: one sentence per side`);
      }
      if (row.tokens.length < index.seqLen && !split) assert.ok(sentenceAt.get(index.aStart[i]) === a && ends.has(index.aStart[i] + a), `untruncated A of ${i} is a whole sentence`);
    }
  });
}

const FORMAT_CASES: [FormatName, Template][] = [
  ['full-sentences', 'roberta'], ['doc-sentences', 'roberta'], ['segment-pair', 'roberta'], ['sentence-pair', 'roberta'],
  ['full-sentences', 'bert'], ['segment-pair', 'bert'], ['sentence-pair', 'bert'],
];

for (const [format, template] of FORMAT_CASES) {
  test(`${format} (${template}) keeps every invariant over random corpora`, () => {
    const pair = format.endsWith('pair');
    fc.assert(
      fc.property(pair ? pairDocumentsArb() : documentsArb(), fc.integer({ min: 8, max: 40 }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 3 }), (docs, seqLen, seed, epoch) => {
        const store = storeOf(docs, template === 'roberta' ? robertaSpecials : bertSpecials);
        const index = buildSampleIndex(store, { format, seqLen, template, seed, epoch });
        checkIndex(docs, store, index, template);
        assert.deepEqual(buildSampleIndex(store, { format, seqLen, template, seed, epoch }), index, 'deterministic');
      }),
      FC,
    );
  });
}

test('pair formats need two non-empty documents', () => {
  const store = storeOf([[[5, 6]], [[]], []]);
  assert.throws(() => buildSampleIndex(store, { format: 'segment-pair', seqLen: 16 }), { name: 'MaskpackError', code: 'ERR_BAD_INPUT' });
});

for (const format of ['segment-pair', 'sentence-pair'] as const) {
  test(`${format}: the NSP label share lies in the exact 1e-9 binomial interval, and epochs draw new pairs`, () => {
    const docs = syntheticDocuments(1500, 7);
    const store = storeOf(docs);
    const index = buildSampleIndex(store, { format, seqLen: 64, seed: 11, epoch: 0 }) as PairSampleIndex;
    let flipped = 0;
    let random = 0;
    for (let i = 0; i < index.numSamples; i++) {
      if (!(index.flags[i] & PAIR_FLAG.coinFlipped)) continue;
      flipped++;
      random += index.flags[i] & PAIR_FLAG.randomNext;
    }
    assert.ok(flipped > 2000, `enough coins (${flipped})`);
    const [lo, hi] = binomialHalfInterval(flipped, 1e-9);
    assert.ok(random >= lo && random <= hi, `${random} random of ${flipped} outside [${lo}, ${hi}]`);
    const next = buildSampleIndex(store, { format, seqLen: 64, seed: 11, epoch: 1 }) as PairSampleIndex;
    assert.notDeepEqual(Array.from(next.flags), Array.from(index.flags));
  });
}

test('the exact binomial interval matches known quantiles', () => {
  assert.deepEqual(binomialHalfInterval(10, 0.05), [2, 8]);
  assert.deepEqual(binomialHalfInterval(1, 0.5), [0, 1]);
});

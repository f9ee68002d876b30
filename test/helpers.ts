/**
 * Shared test support: random corpora, decoding a plan into rows, and exact binomial bounds.
 * Token ids of the random corpora are >= 4, so specials (0–3) are unambiguous in decoded rows.
 */
import fc from 'fast-check';
import { collateReference, createMemoryStore, robertaSpecials, type RowPlan, type SpecialTokens, type TokenStore } from 'maskpack';

export type Documents = number[][][];

/** BERT-style specials for the `bert` template: [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4 remapped into 0–3 + 99. */
export const bertSpecials: SpecialTokens = Object.freeze({
  pad: 0, unk: 1, cls: 2, bos: 2, sep: 3, eos: 3, mask: 99, all: Object.freeze([0, 1, 2, 3, 99]),
});

/** Documents of sentences of ids in [4, 99); empty sentences and documents included. */
export function documentsArb(maxSentenceLength = 40, maxDocuments = 12): fc.Arbitrary<Documents> {
  const sentence = fc.oneof(
    { weight: 1, arbitrary: fc.constant<number[]>([]) },
    { weight: 8, arbitrary: fc.array(fc.integer({ min: 4, max: 98 }), { minLength: 1, maxLength: 12 }) },
    { weight: 2, arbitrary: fc.array(fc.integer({ min: 4, max: 98 }), { minLength: 1, maxLength: maxSentenceLength }) },
  );
  return fc.array(fc.array(sentence, { maxLength: 9 }), { minLength: 1, maxLength: maxDocuments });
}

/** Documents with at least two non-empty ones (what the pair formats need). */
export function pairDocumentsArb(): fc.Arbitrary<Documents> {
  return documentsArb().filter((docs) => docs.filter((d) => d.some((s) => s.length > 0)).length >= 2);
}

export function storeOf(documents: Documents, specials: SpecialTokens = robertaSpecials): TokenStore {
  return createMemoryStore({ documents, vocabSize: 100, specials });
}

/** A deterministic corpus from a tiny LCG (for the large fixed-seed tests). */
export function syntheticDocuments(numDocuments: number, seed: number, maxSentences = 12, maxLength = 30): Documents {
  let x = seed >>> 0;
  const next = (n: number): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return Math.floor((x / 2 ** 32) * n);
  };
  const docs: Documents = [];
  for (let d = 0; d < numDocuments; d++) {
    const doc: number[][] = [];
    const sentences = 1 + next(maxSentences);
    for (let s = 0; s < sentences; s++) {
      const len = 1 + next(maxLength);
      const sentence: number[] = [];
      for (let t = 0; t < len; t++) sentence.push(4 + next(95));
      doc.push(sentence);
    }
    docs.push(doc);
  }
  return docs;
}

export interface DecodedRow {
  tokens: number[];
  types: number[];
}

/** Real tokens of each row of `plan`, via the reference collate; checks the padding and the attention mask. */
export function decodeRows(store: TokenStore, plan: RowPlan): DecodedRow[] {
  const { inputIds, attentionMask, tokenTypeIds } = collateReference(store, plan);
  const rows: DecodedRow[] = [];
  for (let r = 0; r < plan.rows; r++) {
    const base = r * plan.width;
    const len = plan.rowLengths[r];
    for (let i = 0; i < plan.width; i++) {
      if (attentionMask[base + i] !== (i < len ? 1 : 0)) throw new Error(`row ${r}: attention mask wrong at ${i}`);
      if (i >= len && inputIds[base + i] !== store.specials.pad) throw new Error(`row ${r}: padding wrong at ${i}`);
    }
    rows.push({
      tokens: Array.from(inputIds.subarray(base, base + len)),
      types: Array.from(tokenTypeIds.subarray(base, base + len)),
    });
  }
  return rows;
}

/** All tokens of the store in flat order. */
export function flatTokens(documents: Documents): number[] {
  return documents.flat(2);
}

/**
 * The acceptance interval [lo, hi] of a Binomial(n, 1/2) count at two-sided level `alpha`:
 * P(X < lo) <= alpha/2 and P(X > hi) <= alpha/2, each as large (tight) as possible.
 * Computed from the exact pmf in log space.
 */
export function binomialHalfInterval(n: number, alpha: number): [number, number] {
  const logFact = new Float64Array(n + 1);
  for (let i = 1; i <= n; i++) logFact[i] = logFact[i - 1] + Math.log(i);
  const pmf = (k: number): number => Math.exp(logFact[n] - logFact[k] - logFact[n - k] - n * Math.LN2);
  let lo = 0;
  let tail = 0;
  while (lo <= n && tail + pmf(lo) <= alpha / 2) tail += pmf(lo++);
  return [lo, n - lo];
}

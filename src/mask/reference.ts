/**
 * The plain TypeScript masking reference: the contract written as directly as possible. The
 * WebAssembly kernels must match it bit for bit; tests use it as the oracle and benchmarks as
 * the baseline.
 */
import { HASH, mix32, positionHash, streamKey, uniformBelow } from '../rng.js';
import { FLAG_SPECIAL, FLAG_WORD_START, type MaskParams } from './options.js';

export interface MaskedIds {
  /** Ids after replacement, `[B * L]`. */
  inputIds: Int32Array;
  /** Original ids at selected positions, the ignore index elsewhere, `[B * L]`. */
  labels: Int32Array;
}

/** Masks `ids` (`rows × len`, already validated) for the given sample ids. Does not modify `ids`. */
export function maskWithReference(params: MaskParams, ids: Int32Array, sampleIds: ArrayLike<number>, len: number): MaskedIds {
  const keys = Array.from({ length: sampleIds.length }, (_, r) => streamKey(params.seed, params.epoch, sampleIds[r]));
  return maskRowsWithReference(params, ids, keys, len);
}

/** Masks `ids` (`rows × len`, already validated) row by row with the given stream keys. Does not modify `ids`. */
export function maskRowsWithReference(params: MaskParams, ids: Int32Array, keys: ArrayLike<number>, len: number): MaskedIds {
  const inputIds = ids.slice();
  const labels = new Int32Array(ids.length).fill(params.ignoreIndex);
  for (let r = 0; r < keys.length; r++) {
    maskRow(params, keys[r], inputIds.subarray(r * len, (r + 1) * len), labels.subarray(r * len, (r + 1) * len));
  }
  return { inputIds, labels };
}

function maskRow(p: MaskParams, key: number, ids: Int32Array, labels: Int32Array): void {
  if (p.span) {
    spanRow(p, key, ids, labels);
    return;
  }
  // Units: a token, or under whole-word masking a word (a maximal run of non-special pieces
  // that begins at a word-start piece, at the row's first position, or after a special).
  const unitOf = new Int32Array(ids.length).fill(-1);
  const starts: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const f = p.flags[ids[i]];
    if (f & FLAG_SPECIAL) continue;
    const continues = p.wholeWord && i > 0 && unitOf[i - 1] >= 0 && !(f & FLAG_WORD_START);
    if (!continues) starts.push(i);
    unitOf[i] = starts[starts.length - 1];
  }
  let selected = new Set<number>();
  if (p.selection === 'bernoulli') {
    for (const s of starts) if (positionHash(key, s) >>> 1 < p.tSel) selected.add(s);
  } else {
    const count = Math.min(starts.length, Math.floor(p.maskProb * starts.length + rounding(key)));
    for (const s of byKey(key, starts).slice(0, count)) selected.add(s);
  }
  if (p.maxPredictions !== undefined) {
    // The cap: the selected units in ascending key order, each kept while its tokens fit.
    const size = new Map<number, number>();
    for (let i = 0; i < ids.length; i++) if (unitOf[i] >= 0) size.set(unitOf[i], (size.get(unitOf[i]) ?? 0) + 1);
    const kept = new Set<number>();
    let used = 0;
    for (const s of byKey(key, [...selected])) {
      if (used + size.get(s)! <= p.maxPredictions) {
        kept.add(s);
        used += size.get(s)!;
      }
    }
    selected = kept;
  }
  for (let i = 0; i < ids.length; i++) {
    const s = unitOf[i];
    if (s >= 0 && selected.has(s)) replace(p, key, ids, labels, i, s);
  }
}

/** The row's rounding draw `u` in [0, 1) of exact counts and budgets. */
function rounding(key: number): number {
  return mix32((key ^ HASH.rounding) >>> 0) / 4294967296;
}

/** Unit start positions sorted by the unit key `(posHash(key, s), s)`. */
function byKey(key: number, starts: readonly number[]): number[] {
  return starts.map((s) => ({ s, h: positionHash(key, s) })).sort((a, b) => a.h - b.h || a.s - b.s).map((u) => u.s);
}

/** Labels position `i` of a selected unit (or span) starting at `s` and writes its replacement. */
function replace(p: MaskParams, key: number, ids: Int32Array, labels: Int32Array, i: number, s: number): void {
  labels[i] = ids[i];
  const d = mix32((positionHash(key, s) ^ HASH.decision) >>> 0) >>> 1;
  if (d < p.tMask) ids[i] = p.maskId;
  else if (d < p.tMr) ids[i] = randomId(p, mix32((positionHash(key, i) ^ HASH.random) >>> 0));
}

/** One span as drawn (for tests and statistics): its first position, drawn length in units, units and tokens it covers. */
export interface SpanDraw {
  start: number;
  drawn: number;
  units: number;
  tokens: number;
}

/**
 * The spans span masking draws for one row with stream key `key` (in draw order), and masks
 * `ids`/`labels` in place as {@link maskRowsWithReference} does. For tests and statistics.
 */
export function spanRow(p: MaskParams, key: number, ids: Int32Array, labels: Int32Array): SpanDraw[] {
  // Units [start, end): tokens, or words when word starts are known; segments end at specials.
  const units: { start: number; end: number; span: number }[] = [];
  let tokens = 0;
  let drawn = 0;
  for (let i = 0; i < ids.length; i++) {
    const f = p.flags[ids[i]];
    if (f & FLAG_SPECIAL) continue;
    const last = units[units.length - 1];
    if (p.spanWords && last && last.end === i && !(f & FLAG_WORD_START)) last.end = i + 1;
    else units.push({ start: i, end: i + 1, span: -1 });
    tokens++;
    if (positionHash(key, i) >>> 1 < p.tSel) drawn++;
  }
  let budget = p.selection === 'bernoulli' ? drawn : Math.min(tokens, Math.floor(p.maskProb * tokens + rounding(key)));
  if (p.maxPredictions !== undefined) budget = Math.min(budget, p.maxPredictions);
  const ks = mix32((key ^ HASH.span) >>> 0);
  const chosen = new Uint8Array(ids.length);
  const draws: SpanDraw[] = [];
  let used = 0;
  for (let t = 0; used < budget; t++) {
    const free = units.filter((u) => u.span < 0);
    if (free.length === 0) break;
    const h = positionHash(ks, 2 * t);
    let length = 1;
    while (length < p.spanMaxLength && h >= p.spanThresholds[length - 1]) length++;
    let j = units.indexOf(free[uniformBelow(positionHash(ks, 2 * t + 1), free.length)]);
    const draw: SpanDraw = { start: units[j].start, drawn: length, units: 0, tokens: 0 };
    for (let taken = 0; taken < length && used < budget; taken++, j++) {
      const u = units[j];
      if (!u || u.span >= 0 || (taken > 0 && u.start !== units[j - 1].end)) break;
      u.span = draw.start;
      draw.units++;
      for (let i = u.start; i < u.end && used < budget; i++, used++, draw.tokens++) chosen[i] = 1;
    }
    draws.push(draw);
  }
  for (const u of units) for (let i = u.start; i < u.end; i++) if (chosen[i]) replace(p, key, ids, labels, i, u.span);
  return draws;
}

/** The `uniformBelow(r, nAllowed)`-th id of the random range that is not special. */
function randomId(p: MaskParams, r: number): number {
  let id = p.randLo + uniformBelow(r, p.nAllowed);
  for (const s of p.skip) {
    if (s > id) break;
    id++;
  }
  return id;
}

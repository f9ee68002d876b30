/**
 * Masking options: the public shape, defaults, validation, and the integer parameters every
 * implementation (SIMD, scalar, reference) receives, so they cannot disagree on rounding.
 */
import { threshold31 } from '../rng.js';
import { FLAG_SPECIAL, FLAG_WORD_START, MAX_SPAN_LENGTH, MAX_SPECIALS } from '../wasm/abi.js';
import { checkBoolean, checkEnum, checkInteger, checkKnownKeys, checkNumber, describe, I32_MAX, I32_MIN, optionError, U32_MAX } from '../validate.js';

export type MaskSelection = 'bernoulli' | 'exact';

export interface MaskOptions {
  /** Number of ids in the vocabulary; every input id must be in [0, vocabSize). */
  vocabSize: number;
  /** The `<mask>` id. It is always treated as special (never selected, never drawn). */
  maskId: number;
  /** Ids never selected and never drawn as random replacements: padding, `<s>`, `</s>`, reserved ids… (at most 63). */
  specialIds: readonly number[];
  /** Share of eligible tokens (or words) selected. Default 0.15. */
  maskProb?: number;
  /** Share of selected positions replaced by `<mask>`. Default 0.8. */
  maskReplaceProb?: number;
  /** Share of selected positions replaced by a random id; the rest stay unchanged. Default 0.1. */
  randomReplaceProb?: number;
  /** `[lo, hi)`: random replacements are uniform over this range minus the special ids. Default `[0, vocabSize)`. */
  randomIdRange?: readonly [number, number];
  /** Label of positions that are not selected. Default -100. */
  ignoreIndex?: number;
  /** `bernoulli` (each eligible unit independently, as Hugging Face) or `exact` (per row, round(maskProb × eligible) units, as fairseq). Default `bernoulli`. */
  selection?: MaskSelection;
  /** Select whole words: every piece of a selected word gets the same 80/10/10 decision. Default false. */
  wholeWordMask?: boolean;
  /** Word-start flag per id (`wordStarts[id] !== 0`), required with `wholeWordMask`. */
  wordStarts?: Uint8Array;
  /** Seed of every random decision, an integer in [0, 2^32). Default 0. */
  seed?: number;
  /** Epoch, an integer in [0, 2^32). Default 0. */
  epoch?: number;
  /** Static masking: the mask of epoch e is the mask of epoch e mod dupeFactor (BERT used 10). Default: dynamic. */
  dupeFactor?: number;
  /**
   * Span masking (SpanBERT): spans of whole words (of tokens when `wordStarts` is not given) with
   * geometric lengths, at random starts, until the row's budget of maskProb × eligible tokens
   * is used; one 80/10/10 decision per span. Never across a special. Default false.
   */
  spanMask?: boolean;
  /** The geometric distribution's p of span lengths, in (0, 1]; needs `spanMask`. Default 0.2 (SpanBERT). */
  spanP?: number;
  /** Longest span, in words (tokens), an integer in [1, 256]; needs `spanMask`. Default 10 (SpanBERT). */
  spanMaxLength?: number;
  /**
   * At most this many selected (labelled) positions per row, an integer >= 1 (BERT's
   * `max_predictions_per_seq`). Dropped positions keep their id and get the ignore label.
   * Default: no cap.
   */
  maxPredictions?: number;
}

/** Everything a kernel needs, in integers. */
export interface MaskParams {
  vocabSize: number;
  seed: number;
  /** The effective epoch: `epoch mod dupeFactor` for static masking. */
  epoch: number;
  /** Static masking period, or undefined for dynamic masking. */
  dupeFactor: number | undefined;
  maskProb: number;
  tSel: number;
  tMask: number;
  tMr: number;
  maskId: number;
  ignoreIndex: number;
  randLo: number;
  nAllowed: number;
  selection: MaskSelection;
  wholeWord: boolean;
  /** Special ids, ascending, unique, `maskId` included. */
  specials: Int32Array;
  /** Specials inside the random range, ascending: the ids a random draw skips over. */
  skip: Int32Array;
  /** Per id: bit 0 special, bit 1 starts a word. */
  flags: Uint8Array;
  /** Span masking. */
  span: boolean;
  /** Span units are words (`wordStarts` was given), else tokens. */
  spanWords: boolean;
  spanP: number;
  spanMaxLength: number;
  /** `spanMaxLength - 1` ascending u32 thresholds of the span-length draw (see {@link spanThresholds}). */
  spanThresholds: Uint32Array;
  /** The per-row cap on selected positions, or undefined. */
  maxPredictions: number | undefined;
}

export { FLAG_SPECIAL, FLAG_WORD_START, MAX_SPECIALS } from '../wasm/abi.js';

/** The defaults of the masking options that have one (besides `randomIdRange`: the whole vocabulary). */
export const MASK_DEFAULTS = {
  maskProb: 0.15, maskReplaceProb: 0.8, randomReplaceProb: 0.1, ignoreIndex: -100, selection: 'bernoulli', wholeWordMask: false,
  spanMask: false, spanP: 0.2, spanMaxLength: 10,
} as const satisfies Partial<MaskOptions>;

const KNOWN = [
  'vocabSize', 'maskId', 'specialIds', 'maskProb', 'maskReplaceProb', 'randomReplaceProb', 'randomIdRange',
  'ignoreIndex', 'selection', 'wholeWordMask', 'wordStarts', 'seed', 'epoch', 'dupeFactor',
  'spanMask', 'spanP', 'spanMaxLength', 'maxPredictions',
] as const;

/**
 * The thresholds of the span-length draw for a geometric distribution with parameter `p`
 * clipped (renormalised) to lengths 1..max: `w_1 = p`, `w_(i+1) = w_i * (1 - p)`,
 * `total = w_1 + ... + w_max`, `c_j = w_1 + ... + w_j` (sums left to right, double precision),
 * `T_j = min(2^32 - 1, floor(c_j / total * 2^32))` for j = 1..max-1. A draw `h` (u32) gives the
 * length `1 + #{j : h >= T_j}`.
 */
export function spanThresholds(p: number, max: number): Uint32Array {
  const w: number[] = [];
  for (let i = 0, v = p; i < max; i++, v *= 1 - p) w.push(v);
  let total = 0;
  for (const x of w) total += x;
  const t = new Uint32Array(max - 1);
  let c = 0;
  for (let j = 0; j < max - 1; j++) {
    c += w[j];
    t[j] = Math.min(4294967295, Math.floor((c / total) * 4294967296));
  }
  return t;
}

/** Validates `options` (TypeError / RangeError naming the option) and derives the kernel parameters. */
export function resolveMaskOptions(options: MaskOptions, name = 'options'): MaskParams {
  checkKnownKeys(name, options, KNOWN);
  const o = options;
  const vocabSize = checkInteger(`${name}.vocabSize`, o.vocabSize, 1, I32_MAX);
  const maskId = checkInteger(`${name}.maskId`, o.maskId, 0, vocabSize - 1);
  if (!Array.isArray(o.specialIds)) throw optionError(TypeError, [`${name}.specialIds`], (n) => `${n} must be an array of ids, got ${describe(o.specialIds)}`);
  const set = new Set<number>([maskId]);
  o.specialIds.forEach((id, i) => set.add(checkInteger(`${name}.specialIds[${i}]`, id, 0, vocabSize - 1)));
  if (set.size > MAX_SPECIALS) {
    throw optionError(RangeError, [`${name}.specialIds`], (n) => `${n} must hold at most ${MAX_SPECIALS - 1} ids besides maskId, got ${set.size - 1}; exclude reserved ranges with randomIdRange`);
  }
  const specials = Int32Array.from([...set].sort((a, b) => a - b));
  const maskProb = checkNumber(`${name}.maskProb`, o.maskProb ?? MASK_DEFAULTS.maskProb, 0, 1);
  const pm = checkNumber(`${name}.maskReplaceProb`, o.maskReplaceProb ?? MASK_DEFAULTS.maskReplaceProb, 0, 1);
  const pr = checkNumber(`${name}.randomReplaceProb`, o.randomReplaceProb ?? MASK_DEFAULTS.randomReplaceProb, 0, 1);
  if (pm + pr > 1) {
    throw optionError(RangeError, [`${name}.maskReplaceProb`, `${name}.randomReplaceProb`], (m, r) => `${m} + ${r} must be at most 1, got ${pm} + ${pr}`);
  }
  const range = o.randomIdRange ?? [0, vocabSize];
  if (!Array.isArray(range) || range.length !== 2) {
    throw optionError(TypeError, [`${name}.randomIdRange`], (n) => `${n} must be a pair [lo, hi), got ${describe(range)}`);
  }
  const randLo = checkInteger(`${name}.randomIdRange[0]`, range[0], 0, vocabSize - 1);
  const randHi = checkInteger(`${name}.randomIdRange[1]`, range[1], randLo + 1, vocabSize);
  const skip = specials.filter((id) => id >= randLo && id < randHi);
  const nAllowed = randHi - randLo - skip.length;
  if (pr > 0 && nAllowed === 0) {
    throw optionError(RangeError, [`${name}.randomIdRange`], (n) => `${n} [${randLo}, ${randHi}) holds only special ids, so randomReplaceProb ${pr} cannot draw a replacement`);
  }
  const ignoreIndex = checkInteger(`${name}.ignoreIndex`, o.ignoreIndex ?? MASK_DEFAULTS.ignoreIndex, I32_MIN, I32_MAX);
  const selection = checkEnum(`${name}.selection`, o.selection ?? MASK_DEFAULTS.selection, ['bernoulli', 'exact'] as const);
  const wholeWord = checkBoolean(`${name}.wholeWordMask`, o.wholeWordMask ?? MASK_DEFAULTS.wholeWordMask);
  const seed = checkInteger(`${name}.seed`, o.seed ?? 0, 0, U32_MAX);
  const epoch = checkInteger(`${name}.epoch`, o.epoch ?? 0, 0, U32_MAX);
  const dupeFactor = o.dupeFactor === undefined ? undefined : checkInteger(`${name}.dupeFactor`, o.dupeFactor, 1, U32_MAX);
  const flags = new Uint8Array(vocabSize);
  if (wholeWord || o.wordStarts !== undefined) {
    const ws = o.wordStarts;
    if (!(ws instanceof Uint8Array)) {
      throw optionError(TypeError, [`${name}.wordStarts`], (n) => `${n} must be a Uint8Array of vocabSize flags${wholeWord ? ' (required by wholeWordMask)' : ''}, got ${describe(ws)}`);
    }
    if (ws.length < vocabSize) throw optionError(RangeError, [`${name}.wordStarts`], (n) => `${n} must have vocabSize (${vocabSize}) entries, got ${ws.length}`);
    for (let id = 0; id < vocabSize; id++) if (ws[id] !== 0) flags[id] = FLAG_WORD_START;
  }
  for (const id of specials) flags[id] |= FLAG_SPECIAL;
  const span = checkBoolean(`${name}.spanMask`, o.spanMask ?? MASK_DEFAULTS.spanMask);
  for (const key of ['spanP', 'spanMaxLength'] as const) {
    if (!span && o[key] !== undefined) throw optionError(RangeError, [`${name}.${key}`, `${name}.spanMask`], (n, m) => `${n} needs ${m}`);
  }
  const spanP = checkNumber(`${name}.spanP`, o.spanP ?? MASK_DEFAULTS.spanP, 0, 1, true);
  const spanMaxLength = checkInteger(`${name}.spanMaxLength`, o.spanMaxLength ?? MASK_DEFAULTS.spanMaxLength, 1, MAX_SPAN_LENGTH);
  const maxPredictions = o.maxPredictions === undefined ? undefined : checkInteger(`${name}.maxPredictions`, o.maxPredictions, 1, I32_MAX);
  return {
    vocabSize, seed, epoch: dupeFactor === undefined ? epoch : epoch % dupeFactor, dupeFactor, maskProb,
    tSel: threshold31(maskProb), tMask: threshold31(pm), tMr: threshold31(Math.min(1, pm + pr)),
    maskId, ignoreIndex, randLo, nAllowed, selection, wholeWord, specials, skip, flags,
    span, spanWords: span && o.wordStarts !== undefined, spanP, spanMaxLength, spanThresholds: spanThresholds(spanP, spanMaxLength),
    maxPredictions,
  };
}

/** The same parameters for another epoch (the per-call override), validated. */
export function withEpoch(params: MaskParams, epoch: number, name = 'epoch'): MaskParams {
  const e = checkInteger(name, epoch, 0, U32_MAX);
  return { ...params, epoch: params.dupeFactor === undefined ? e : e % params.dupeFactor };
}

/**
 * `withEpoch` for a caller that goes through the epochs in order: the same object while the
 * epoch stays the same, so a kernel that keeps its loaded parameters writes them once per epoch.
 */
export function epochParams(params: MaskParams): (epoch: number) => MaskParams {
  let last: { epoch: number; params: MaskParams } | undefined;
  return (epoch) => {
    if (last?.epoch !== epoch) last = { epoch, params: withEpoch(params, epoch) };
    return last.params;
  };
}

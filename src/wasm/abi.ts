/**
 * The kernels' ABI as the host sees it, in one place: the parameter block's byte offsets, the
 * per-id flag bits, the row-plan item encoding, the status codes and every export's signature.
 * `assembly/params.ts`, `assembly/collate.ts` and `assembly/index.ts` hold the other side;
 * `test/abi.test.ts` checks this module against the compiled module (the module exports its
 * constants as globals for that purpose).
 *
 * Parameter block (4096 bytes, little-endian):
 * ```
 *   0 seed u32        4 epoch u32 (effective)   8 tSel u32      12 tMask u32     16 tMr u32
 *  20 maskId i32     24 ignoreIndex i32        28 randLo i32   32 nAllowed u32  36 mode (0 bernoulli, 1 exact)
 *  40 wholeWord 0/1  44 nSpecial               48 nSkip        52 flags ptr (u8 per vocabulary id)
 *  56 nRuns          64 maskProb f64
 *  72 span 0/1       76 spanWords 0/1          80 spanMaxLength (1..256)   84 maxPredictions (0: no cap)
 * 128 specials i32[64]   384 skip i32[64]   640 runs: per run a v128 splat of (first - 1), then of (first + length)
 * 2688 span length thresholds u32[spanMaxLength - 1]
 * ```
 */

/** Byte offsets of the parameter block's fields. */
export const PARAM = {
  seed: 0, epoch: 4, tSel: 8, tMask: 12, tMr: 16, maskId: 20, ignore: 24, randLo: 28, nAllowed: 32,
  mode: 36, wholeWord: 40, nSpecial: 44, nSkip: 48, flags: 52, nRuns: 56, maskProb: 64, specials: 128,
  skip: 384, runs: 640, span: 72, spanWords: 76, spanMaxLength: 80, maxPredictions: 84, spanCdf: 2688, size: 4096,
} as const;

/** The longest span (in units) the parameter block holds thresholds for. */
export const MAX_SPAN_LENGTH = 256;

/** At most this many special ids (`maskId` included) fit the parameter block. */
export const MAX_SPECIALS = 64;

/** `mode` values. */
export const MODE = { bernoulli: 0, exact: 1 } as const;

/** Bits of the per-id flags table. */
export const FLAG_SPECIAL = 1;
export const FLAG_WORD_START = 2;

/**
 * Row-plan items as the collate kernel reads them: 3 int32 per item, `[kindAndType, a, b]`.
 * `kind = kindAndType & 1`: {@link ITEM_LITERAL} (token id `a`) or {@link ITEM_SPAN} (`b` store
 * elements starting at element `a` of kernel memory, unsigned); `type = kindAndType >>> 1` is
 * the token type id.
 */
export const ITEM_LITERAL = 0;
export const ITEM_SPAN = 1;
export const ITEM_WORDS = 3;

/** Collate status for row r: `ERR_ROW_OVERFLOW - r` (a row's items do not fit the width). */
export const ERR_ROW_OVERFLOW = -1;

/**
 * The collate kernel's batch-form block (`assembly/forms.ts`), FORM_SIZE bytes of i32 fields:
 * ```
 *   0 flags (FORM_PACKED | FORM_SPARSE)   4 tokenBase u32   8 maskedBase
 *  12 positions ptr (out)   16 maskedIds ptr (out)   20 rowStart ptr (out)
 * ```
 * A null block is padded rows with dense labels.
 */
export const FORM = { flags: 0, tokenBase: 4, maskedBase: 8, positions: 12, maskedIds: 16, rowStart: 20, size: 32 } as const;
/** `flags` bits of the form block. */
export const FORM_PACKED = 1;
export const FORM_SPARSE = 2;

/**
 * A collate kernel: see `assembly/collate.ts` for the arguments. Returns the count of masked
 * positions listed (0 without FORM_SPARSE) or a negative status.
 */
export type CollateFn = (params: number, pad: number, elemSize: number, items: number, rowItemStart: number,
  rows: number, width: number, rowKeys: number, ids: number, labels: number, attention: number, types: number,
  scratch: number, form: number) => number;

/** The kernels' raw-pointer exports (see `assembly/index.ts`). Pointers and counts are numbers. */
export interface KernelExports {
  heapBase(): number;
  /** Index of the first int32 id outside [0, vocabSize), or -1. */
  findInvalid(ids: number, n: number, vocabSize: number): number;
  /** Index of the first uint16 id >= vocabSize (at most 65535), or -1. */
  findInvalidU16(ids: number, n: number, vocabSize: number): number;
  maskSimd(params: number, src: number, dst: number, labels: number, rows: number, len: number,
    sampleIds: number, scratch: number): number;
  maskScalar(params: number, src: number, dst: number, labels: number, rows: number, len: number,
    sampleIds: number, scratch: number): number;
  collateSimd: CollateFn;
  collateScalar: CollateFn;
}

/** Names and parameter counts of the functions the host calls, for the ABI test. */
export const KERNEL_FUNCTIONS: Readonly<Record<keyof KernelExports, number>> = {
  heapBase: 0, findInvalid: 3, findInvalidU16: 3, maskSimd: 8, maskScalar: 8, collateSimd: 14, collateScalar: 14,
};

/** The constants the module exports as globals, with the value the host uses (for the ABI test). */
export const KERNEL_CONSTANTS: Readonly<Record<string, number>> = {
  P_SEED: PARAM.seed, P_EPOCH: PARAM.epoch, P_TSEL: PARAM.tSel, P_TMASK: PARAM.tMask, P_TMR: PARAM.tMr,
  P_MASK_ID: PARAM.maskId, P_IGNORE: PARAM.ignore, P_RAND_LO: PARAM.randLo, P_N_ALLOWED: PARAM.nAllowed,
  P_MODE: PARAM.mode, P_WHOLE_WORD: PARAM.wholeWord, P_N_SPECIAL: PARAM.nSpecial, P_N_SKIP: PARAM.nSkip,
  P_FLAGS: PARAM.flags, P_N_RUNS: PARAM.nRuns, P_MASK_PROB: PARAM.maskProb, P_SPECIALS: PARAM.specials,
  P_SKIP: PARAM.skip, P_RUNS: PARAM.runs, PARAMS_SIZE: PARAM.size, MAX_SPECIALS,
  MODE_BERNOULLI: MODE.bernoulli, MODE_EXACT: MODE.exact, FLAG_SPECIAL, FLAG_WORD_START,
  ITEM_LITERAL, ITEM_SPAN, ITEM_WORDS, ERR_ROW_OVERFLOW,
  P_SPAN: PARAM.span, P_SPAN_WORDS: PARAM.spanWords, P_SPAN_MAX: PARAM.spanMaxLength, P_MAX_PRED: PARAM.maxPredictions,
  P_SPAN_CDF: PARAM.spanCdf, MAX_SPAN_LENGTH,
  FORM_PACKED, FORM_SPARSE, F_FLAGS: FORM.flags, F_TOKEN_BASE: FORM.tokenBase, F_MASKED_BASE: FORM.maskedBase,
  F_POSITIONS: FORM.positions, F_MASKED_IDS: FORM.maskedIds, F_ROW_START: FORM.rowStart, FORM_SIZE: FORM.size,
};

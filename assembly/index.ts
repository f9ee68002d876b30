// maskpack's WebAssembly kernels. Raw-pointer ABI: pointers are usize into the (imported,
// shared) memory laid out by the host, counts are i32, results are counts or status codes.
// No kernel allocates.
import { collate } from './collate';
import { streamKey } from './hash';
import { maskRow } from './mask/row';
import { P_EPOCH, P_SEED } from './params';

export { findInvalid, findInvalidU16 } from './validate';
// The ABI's constants, exported as globals so that the host's copy (src/wasm/abi.ts) can be
// checked against them (test/abi.test.ts).
export {
  P_SEED, P_EPOCH, P_TSEL, P_TMASK, P_TMR, P_MASK_ID, P_IGNORE, P_RAND_LO, P_N_ALLOWED, P_MODE, P_WHOLE_WORD,
  P_N_SPECIAL, P_N_SKIP, P_FLAGS, P_N_RUNS, P_MASK_PROB, P_SPECIALS, P_SKIP, P_RUNS, PARAMS_SIZE, MAX_SPECIALS,
  MODE_BERNOULLI, MODE_EXACT, FLAG_SPECIAL, FLAG_WORD_START, P_SPAN, P_SPAN_WORDS, P_SPAN_MAX, P_MAX_PRED, P_SPAN_CDF,
  MAX_SPAN_LENGTH,
} from './params';
export { ITEM_LITERAL, ITEM_SPAN, ITEM_WORDS, ERR_ROW_OVERFLOW } from './collate';
export {
  FORM_PACKED, FORM_SPARSE, F_FLAGS, F_TOKEN_BASE, F_MASKED_BASE, F_POSITIONS, F_MASKED_IDS, F_ROW_START, FORM_SIZE,
} from './forms';

/** First byte after the module's static data: host arenas start at or above it. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * Masks `rows` rows of `len` int32 ids at `src` (row-major) into `dst` (may equal `src`) and
 * `labels`, with the parameter block at `params`, one u32 sample id per row at `sampleIds`,
 * and `scratch` of 24 × len + 64 bytes. Ids must already be validated against the
 * vocabulary (findInvalid). Returns 0.
 */
export function maskSimd(
  params: usize, src: usize, dst: usize, labels: usize, rows: i32, len: i32, sampleIds: usize, scratch: usize,
): i32 {
  return maskRows(true, params, src, dst, labels, rows, len, sampleIds, scratch);
}

/** The scalar twin of {@link maskSimd}: same signature, bit-identical results. */
export function maskScalar(
  params: usize, src: usize, dst: usize, labels: usize, rows: i32, len: i32, sampleIds: usize, scratch: usize,
): i32 {
  return maskRows(false, params, src, dst, labels, rows, len, sampleIds, scratch);
}

// @ts-ignore: decorator
@inline
function maskRows(
  simd: bool, params: usize, src: usize, dst: usize, labels: usize, rows: i32, len: i32, sampleIds: usize,
  scratch: usize,
): i32 {
  const seed = load<u32>(params + P_SEED);
  const epoch = load<u32>(params + P_EPOCH);
  const rowBytes = <usize>len << 2;
  for (let r = 0; r < rows; r++) {
    const key = streamKey(seed, epoch, load<u32>(sampleIds + (<usize>r << 2)));
    const off = <usize>r * rowBytes;
    maskRow(simd, params, src + off, dst + off, labels + off, len, key, scratch);
  }
  return 0;
}

/**
 * Collates rows from a plan and masks them, in the batch form of the `form` block (see
 * `assembly/collate.ts` for the plan encoding and the arguments, `assembly/forms.ts` for the
 * forms). Returns the count of masked positions listed (0 for dense labels) or a negative status.
 */
export function collateSimd(
  params: usize, pad: i32, elemSize: i32, items: usize, rowItemStart: usize, rows: i32, width: i32,
  rowKeys: usize, ids: usize, labels: usize, attention: usize, types: usize, scratch: usize, form: usize,
): i32 {
  return collate(true, params, pad, elemSize, items, rowItemStart, rows, width, rowKeys, ids, labels, attention, types, scratch, form);
}

/** The scalar twin of {@link collateSimd}: same signature, bit-identical results. */
export function collateScalar(
  params: usize, pad: i32, elemSize: i32, items: usize, rowItemStart: usize, rows: i32, width: i32,
  rowKeys: usize, ids: usize, labels: usize, attention: usize, types: usize, scratch: usize, form: usize,
): i32 {
  return collate(false, params, pad, elemSize, items, rowItemStart, rows, width, rowKeys, ids, labels, attention, types, scratch, form);
}

/**
 * The host side of the fused collate + mask kernel: one call per batch over a plan, the outputs
 * copied out into fresh (or given-back) buffers. Where the tokens come from is the
 * {@link TokenResolver}'s business (`src/wasm/tokens.ts`). Internal; the `Collator` and the
 * loader's workers use it.
 *
 *   kernel memory:  | store regions or a window | per kernel: params | flags | form | items | rowItemStart |
 *                   | row keys | ids | labels | attention | types | scratch | positions | masked ids | row starts |
 *
 * The batch form (`src/batch.ts`) is the kernel's: packed rows are written back to back (the
 * `attention` buffer then holds their position ids) and the sparse lists are extracted from each
 * row's labels right after it is masked, so every form holds the same masks by construction.
 */
import type { AnyBatch, Batch } from '../batch.js';
import { MaskpackError } from '../errors.js';
import { MaskKernel, scratchBytes, type KernelTier } from '../mask/kernel.js';
import type { MaskParams } from '../mask/options.js';
import { sourceSeed, streamKey } from '../rng.js';
import { ERR_ROW_OVERFLOW, FORM, FORM_PACKED, FORM_SPARSE, ITEM_SPAN, ITEM_WORDS } from '../wasm/abi.js';
import { IdCheck, TokenResolver, type SourceTokens } from '../wasm/tokens.js';
import { cuSeqlens, fixedPredictions, maxLength, PADDED_DENSE, type BatchForm } from './form.js';
import type { RowPlan } from './plan.js';

/** The per-token buffers of a batch a consumer handed back for reuse (see `Loader.recycle`). */
export interface OutputBuffers {
  inputIds?: ArrayBuffer;
  attentionMask?: ArrayBuffer;
  labels?: ArrayBuffer;
  tokenTypeIds?: ArrayBuffer;
  positionIds?: ArrayBuffer;
}

/** The keys of {@link OutputBuffers}. */
export const OUTPUT_KEYS = ['inputIds', 'attentionMask', 'labels', 'tokenTypeIds', 'positionIds'] as const;

/** Where one batch's inputs and outputs live in kernel memory. */
export interface Buffers {
  /** Output rows of `width` the buffers hold (a chunk of a batch, or a whole batch). */
  rows: number;
  /** Rows of plan (row starts, keys) they hold. */
  planRows: number;
  width: number;
  items: number;
  itemCap: number;
  rowItemStart: number;
  rowKeys: number;
  ids: number;
  labels: number;
  attention: number;
  types: number;
  scratch: number;
  /** Tokens of a whole batch the sparse lists have room for. */
  maskedCap: number;
  positions: number;
  maskedIds: number;
  rowStart: number;
  /** Masked positions listed by the last pass (sparse labels). */
  masked: number;
}

/**
 * Bytes of kernel output per chunk of rows in {@link CollateKernel.run} (four i32 arrays): small
 * enough to stay in a core's L2 cache until copied out.
 */
const CHUNK_BYTES = 256 << 10;

/** Two int32 ones as one int64 (the same bytes in either byte order). */
const ONES64 = 0x0000000100000001n;

/**
 * `attention[r * width + j]` = 1 for `j < rowLengths[r]`, else 0. All ones first, as int64
 * stores (V8 fills a `BigInt64Array` at memset speed, an `Int32Array` with 1 at half that), then
 * zeros over the padding of the rows that have some.
 */
export function fillAttention(attention: Int32Array, rowLengths: ArrayLike<number>, width: number): void {
  const n = attention.length;
  if (attention.byteOffset % 8 === 0) {
    new BigInt64Array(attention.buffer, attention.byteOffset, n >>> 1).fill(ONES64);
    if (n & 1) attention[n - 1] = 1;
  } else {
    attention.fill(1);
  }
  for (let r = 0, at = 0; at < n; r++, at += width) if (rowLengths[r] < width) attention.fill(0, at + rowLengths[r], at + width);
}

/** The masking key of every row of `plan` at `epoch` (rows of a mixture carry their source's epoch). */
export function rowKeys(params: MaskParams, plan: RowPlan, epoch: number, out: Uint32Array): void {
  const { seed, dupeFactor } = params;
  for (let r = 0; r < plan.rows; r++) {
    const e = plan.sourceEpochs ? plan.sourceEpochs[r] : epoch;
    out[r] = streamKey(sourceSeed(seed, plan.sources ? plan.sources[r] : 0), dupeFactor === undefined ? e : e % dupeFactor, plan.sampleIds[r]);
  }
}

/** What a collate kernel is made of. */
export interface CollateKernelInit {
  readonly params: MaskParams;
  /** The padding id. */
  readonly pad: number;
  /** A kernel memory (shared, possibly with other threads and the store regions in it). */
  readonly memory: WebAssembly.Memory;
  /** How each source's tokens are reached; they share one element size. */
  readonly sources: readonly SourceTokens[];
  readonly elemSize: 2 | 4;
  /** The batch form (default: padded rows, dense labels). */
  readonly form?: BatchForm;
}

export class CollateKernel {
  private readonly mask: MaskKernel;
  private readonly tokens: TokenResolver;
  private readonly numTokens: number[];
  private readonly pad: number;
  readonly params: MaskParams;
  readonly form: BatchForm;
  private readonly formPtr: number;
  private buffers: Buffers | undefined;

  constructor(init: CollateKernelInit) {
    this.params = init.params;
    this.pad = init.pad;
    this.form = init.form ?? PADDED_DENSE;
    this.mask = new MaskKernel(init.params, init.memory);
    this.formPtr = this.mask.arena.claim(FORM.size);
    const ids = new IdCheck(this.mask.exports, this.mask.arena, init.params.vocabSize);
    this.tokens = new TokenResolver(this.mask.arena, ids, init.sources, init.elemSize);
    this.numTokens = init.sources.map((s) => (s.kind === 'memory' ? s.region.numTokens : s.numTokens));
  }

  /**
   * Collates and masks one batch at `epoch`, in this kernel's form, into fresh buffers (or into
   * `into`, buffers a consumer gave back, where they are large enough).
   */
  run(tier: KernelTier, plan: RowPlan, epoch: number, into?: OutputBuffers): AnyBatch {
    const { rows, width } = plan;
    const pair = plan.nextSentenceLabel !== undefined;
    const packed = this.form.layout === 'packed';
    const sparse = this.form.labels === 'sparse';
    const cu = packed ? cuSeqlens(plan.rowLengths) : undefined;
    const n = cu ? cu[rows] : rows * width;
    const fits = (b: ArrayBuffer | undefined): b is ArrayBuffer => b !== undefined && b.byteLength >= 4 * n;
    const arena = this.mask.arena;
    const given = into !== undefined && fits(into.inputIds) && (packed ? fits(into.positionIds) : fits(into.attentionMask))
      && (sparse || fits(into.labels)) && (!pair || fits(into.tokenTypeIds));
    const view = (b: ArrayBuffer | undefined) => new Int32Array(b!, 0, n);
    let ids: Int32Array;
    let second: Int32Array; // the attention mask (padded) or the position ids (packed)
    let labels: Int32Array | undefined;
    let types: Int32Array | undefined;
    let b: Buffers;
    if (!given) {
      // Fresh buffers: one pass, then `slice` (new memory that is not zeroed first, unlike
      // `new Int32Array(n)`, whose zeroing would touch every page twice).
      b = this.execute(tier, plan, epoch, cu);
      ids = arena.i32(b.ids, n).slice();
      second = arena.i32(b.attention, n).slice();
      labels = sparse ? undefined : arena.i32(b.labels, n).slice();
      types = pair ? arena.i32(b.types, n).slice() : undefined;
    } else {
      // Given-back buffers: rows go through the kernel a chunk at a time and are copied out while
      // the chunk is still in cache, so the outputs cross main memory once, not three times
      // (kernel write, copy read, copy write).
      ids = view(into.inputIds);
      second = view(packed ? into.positionIds : into.attentionMask);
      labels = sparse ? undefined : view(into.labels);
      types = pair ? view(into.tokenTypeIds) : undefined;
      // The attention mask is filled here from the row lengths (a memset into the batch), so the
      // kernel skips it, and the token types when the format has none; packed rows get their
      // position ids from the kernel.
      const chunk = Math.max(1, Math.floor(CHUNK_BYTES / (16 * width)));
      b = this.pass(tier, plan, epoch, chunk, (k, r0, r1) => {
        const at = cu ? cu[r0] : r0 * width;
        const m = (cu ? cu[r1] : r1 * width) - at;
        ids.set(arena.i32(k.ids, m), at);
        if (labels) labels.set(arena.i32(k.labels, m), at);
        if (types) types.set(arena.i32(k.types, m), at);
        if (packed) second.set(arena.i32(k.attention, m), at);
      }, { attention: packed, types: pair }, cu);
      if (!packed) fillAttention(second, plan.rowLengths, width);
    }
    const rowsPart = {
      ...(pair ? { nextSentenceLabel: plan.nextSentenceLabel!.slice() } : {}),
      sampleIds: plan.sampleIds.slice(),
      ...(plan.sources ? { sourceIds: Int32Array.from(plan.sources) } : {}),
    };
    const layoutPart = cu
      ? { layout: 'packed' as const, inputIds: ids, positionIds: second, cuSeqlens: cu, maxSeqlen: maxLength(plan.rowLengths), ...(types ? { tokenTypeIds: types } : {}), shape: [n] as const }
      : { inputIds: ids, attentionMask: second, ...(types ? { tokenTypeIds: types } : {}), shape: [rows, width] as const };
    if (!sparse) return { ...layoutPart, labels: labels!, ...rowsPart } as AnyBatch;
    const M = b.masked;
    const rowStart = arena.i32(b.rowStart, rows + 1);
    rowStart[rows] = M;
    const maskedPositions = arena.i32(b.positions, M).slice();
    const maskedIds = arena.i32(b.maskedIds, M).slice();
    const maskedRowStart = rowStart.slice();
    const N = this.form.maxPredictions;
    if (N === undefined) return { ...layoutPart, maskedPositions, maskedIds, maskedRowStart, ...rowsPart } as AnyBatch;
    const fixed = fixedPredictions(maskedPositions, maskedIds, maskedRowStart, cu ? (r) => cu[r] : (r) => r * width, N, this.params.ignoreIndex, plan.sampleIds);
    return { ...layoutPart, ...fixed, maskedRowStart, maxPredictions: N, ...rowsPart } as AnyBatch;
  }

  /**
   * The kernel pass alone: checks the plan, resolves its spans, and collates and masks the batch
   * into this kernel's buffers in WebAssembly memory (where {@link run} copies it out from);
   * token types only for pair formats (single formats have none). `cu`: packed rows' ends, when
   * the caller has them already.
   */
  execute(tier: KernelTier, plan: RowPlan, epoch: number, cu = this.form.layout === 'packed' ? cuSeqlens(plan.rowLengths) : undefined): Buffers {
    return this.pass(tier, plan, epoch, plan.rows, undefined, { attention: true, types: plan.nextSentenceLabel !== undefined }, cu);
  }

  /**
   * Checks the plan, resolves it into kernel items, and runs the kernel over rows
   * `[r0, r0 + chunk)`, …; each chunk's outputs start at the buffers' beginning, and `done` sees
   * them before the next chunk. `outputs` can skip writing the attention mask (packed: the
   * position ids) or the token types. `cu`: the row ends of packed rows. The sparse lists are
   * not chunked: they accumulate in the buffers over the whole batch (`b.masked` of them).
   */
  private pass(
    tier: KernelTier, plan: RowPlan, epoch: number, chunk: number, done?: (b: Buffers, r0: number, r1: number) => void,
    outputs = { attention: true, types: true }, cu?: Int32Array,
  ): Buffers {
    checkPlan(plan, this.numTokens, this.params.vocabSize);
    const { rows, width } = plan;
    const sparse = this.form.labels === 'sparse';
    const b = this.reserve(Math.min(rows, chunk), width, rows, plan.items.length / ITEM_WORDS, sparse ? (cu ? cu[rows] : rows * width) : 0);
    const arena = this.mask.arena;
    this.tokens.resolve(plan, b.items);
    arena.i32(b.rowItemStart, rows + 1).set(plan.rowItemStart);
    rowKeys(this.params, plan, epoch, arena.u32(b.rowKeys, rows));
    const fn = tier === 'simd' ? this.mask.exports.collateSimd : this.mask.exports.collateScalar;
    const form = arena.i32(this.formPtr, FORM.size / 4);
    form[FORM.flags / 4] = (cu ? FORM_PACKED : 0) | (sparse ? FORM_SPARSE : 0);
    b.masked = 0;
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const r1 = Math.min(rows, r0 + chunk);
      form[FORM.tokenBase / 4] = cu ? cu[r0] : r0 * width;
      form[FORM.maskedBase / 4] = b.masked;
      form[FORM.positions / 4] = b.positions + 4 * b.masked;
      form[FORM.maskedIds / 4] = b.maskedIds + 4 * b.masked;
      form[FORM.rowStart / 4] = b.rowStart + 4 * r0;
      const status = fn(this.mask.paramsPtr, this.pad, this.tokens.elemSize, b.items, b.rowItemStart + 4 * r0,
        r1 - r0, width, b.rowKeys + 4 * r0, b.ids, b.labels, outputs.attention ? b.attention : 0, outputs.types ? b.types : 0, b.scratch, this.formPtr);
      if (status < 0) throw new MaskpackError('ERR_KERNEL', `collate kernel: row ${r0 + ERR_ROW_OVERFLOW - status} does not fit in width ${width}`);
      b.masked += status;
      done?.(b, r0, r1);
    }
    return b;
  }

  /**
   * Buffers for plans of `planRows` rows and `items` items, with outputs for `rows` rows of
   * `width` and sparse lists of `maskedCap` entries.
   */
  private reserve(rows: number, width: number, planRows: number, items: number, maskedCap: number): Buffers {
    const b = this.buffers;
    if (b && b.rows * b.width >= rows * width && b.width >= width && b.planRows >= planRows && b.itemCap >= items && b.maskedCap >= maskedCap) return b;
    const arena = this.mask.arena;
    const grow = (want: number, had = 0): number => Math.max(want, Math.ceil(had * 1.5));
    const capWidth = Math.max(width, b?.width ?? 0);
    const capRows = Math.max(rows, b && b.rows * b.width >= rows * width ? b.rows : Math.ceil(((b?.rows ?? 0) * (b?.width ?? 0) * 1.5) / capWidth));
    const planCap = grow(planRows, b?.planRows);
    const itemCap = grow(items, b?.itemCap);
    const n = capRows * capWidth;
    const listCap = maskedCap === 0 ? (b?.maskedCap ?? 0) : grow(maskedCap, b?.maskedCap);
    this.buffers = {
      rows: capRows, width: capWidth, planRows: planCap, itemCap, maskedCap: listCap, masked: 0,
      items: arena.claim(4 * ITEM_WORDS * itemCap),
      rowItemStart: arena.claim(4 * (planCap + 1)),
      rowKeys: arena.claim(4 * planCap),
      ids: arena.claim(4 * n),
      labels: arena.claim(4 * n),
      attention: arena.claim(4 * n),
      types: arena.claim(4 * n),
      scratch: arena.claim(scratchBytes(capWidth)),
      positions: arena.claim(4 * listCap),
      maskedIds: arena.claim(4 * listCap),
      rowStart: arena.claim(4 * (planCap + 1)),
    };
    return this.buffers;
  }
}

/**
 * Rejects a plan the kernel could run past: bad offsets, spans outside their store (`numTokens`
 * per source), an unknown source, literals outside the vocabulary, rows wider than `width`.
 */
export function checkPlan(plan: RowPlan, numTokens: readonly number[], vocabSize: number): void {
  const { rows, width, rowItemStart, items, sampleIds } = plan;
  const fail = (what: string) => new MaskpackError('ERR_BAD_INPUT', `invalid row plan: ${what}`);
  if (rowItemStart.length !== rows + 1 || sampleIds.length !== rows || items.length % ITEM_WORDS !== 0) {
    throw fail(`rows ${rows} with ${rowItemStart.length} row starts, ${sampleIds.length} sample ids, ${items.length} item words`);
  }
  if (plan.sources !== undefined && plan.sources.length !== rows) throw fail(`rows ${rows} with ${plan.sources.length} sources`);
  if (plan.sourceEpochs !== undefined && plan.sourceEpochs.length !== rows) throw fail(`rows ${rows} with ${plan.sourceEpochs.length} source epochs`);
  if (rowItemStart[0] !== 0 || rowItemStart[rows] !== items.length / ITEM_WORDS) throw fail('row starts do not cover the items');
  for (let r = 0; r < rows; r++) {
    let len = 0;
    const s = plan.sources ? plan.sources[r] : 0;
    if (s >= numTokens.length) throw fail(`row ${r} names source ${s}, but there are ${numTokens.length}`);
    const tokens = numTokens[s];
    if (rowItemStart[r + 1] < rowItemStart[r]) throw fail(`row starts decrease at row ${r}`);
    for (let k = rowItemStart[r]; k < rowItemStart[r + 1]; k++) {
      const kind = items[ITEM_WORDS * k];
      const a = items[ITEM_WORDS * k + 1];
      const n = items[ITEM_WORDS * k + 2];
      if (kind & ITEM_SPAN) {
        if (!Number.isSafeInteger(a) || !Number.isInteger(n) || a < 0 || n < 0 || a + n > tokens) {
          throw fail(`row ${r} item ${k}: span [${a}, ${a + n}) outside the store's ${tokens} tokens`);
        }
        len += n;
      } else {
        if (!Number.isInteger(a) || a < 0 || a >= vocabSize) throw fail(`row ${r} item ${k}: token ${a} outside the vocabulary`);
        len += 1;
      }
    }
    if (len > width) throw fail(`row ${r} holds ${len} tokens, more than the width ${width}`);
    if (plan.rowLengths[r] !== len) throw fail(`row ${r} holds ${len} tokens, but its row length says ${plan.rowLengths[r]}`);
  }
}

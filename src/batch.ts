/**
 * One collated, masked batch: the unit every consumer (ONNX Runtime feeds, `.npy` export,
 * `inspect`, the stream) receives, in one of four forms, by two choices (loader options
 * `layout` and `labels`):
 *
 * ```
 *                 labels 'dense'                         labels 'sparse'
 *  'padded'  Batch: [B, L] ids, mask, labels        PaddedSparseBatch: [B, L] ids, mask;
 *                                                   masked positions / ids (M) or [B, N]
 *  'packed'  PackedBatch: (T) ids, labels,          PackedSparseBatch: (T) ids, position ids,
 *            position ids; cuSeqlens (B + 1)        cuSeqlens; masked positions / ids
 * ```
 * B rows, L the padded width, T the batch's real tokens (`cuSeqlens[B]`), M its masked
 * positions, N `maxPredictions`. Every form has `sampleIds` (`[B]`, so `sampleIds.length` is
 * always B) and, where they apply, `nextSentenceLabel` and `sourceIds` (`[B]`); `tokenTypeIds`
 * has the shape of `inputIds`. The forms are told apart by `layout` (absent or `'padded'`, or
 * `'packed'`) and by `labels` (present: dense) versus `maskedIds` (sparse). `Batch` is today's
 * padded dense form, unchanged.
 *
 * Ownership: every array is backed by its own freshly allocated, non-shared `ArrayBuffer`
 * (never a view over WebAssembly memory, never a `SharedArrayBuffer`). The caller owns the
 * buffers and may transfer them to another thread or hand them to ONNX Runtime by reference.
 */

/** The arrays every form has: one entry per row. */
export interface BatchRows {
  /** The sample id of each row (within its source), `[B]`; masking and pairing are pure functions of it. */
  readonly sampleIds: Uint32Array;
  /** Mixtures of stores: the index of each row's source (in the order the sources were given), `[B]`. */
  readonly sourceIds?: Int32Array;
  /** 0 when segment B really follows A, 1 when B is a random segment, `[B]`; pair formats only. */
  readonly nextSentenceLabel?: Int32Array;
}

/** Rows padded to one width. */
export interface PaddedArrays {
  /** Absent or `'padded'`. */
  readonly layout?: 'padded';
  /** Token ids after masking, row-major `[B, L]`. */
  readonly inputIds: Int32Array;
  /** 1 for real tokens (specials included), 0 for padding, `[B, L]`. */
  readonly attentionMask: Int32Array;
  /** Segment ids (0 for A, 1 for B) for the pair formats, `[B, L]`. */
  readonly tokenTypeIds?: Int32Array;
  /** `[B, L]`: rows and positions. */
  readonly shape: readonly [number, number];
}

/** Rows back to back with no padding (FlashAttention's variable-length form). */
export interface PackedArrays {
  readonly layout: 'packed';
  /** Token ids after masking, `[T]`: row r is `[cuSeqlens[r], cuSeqlens[r + 1])`. */
  readonly inputIds: Int32Array;
  /** Position of each token in its row (0 at each row's first token), `[T]`. */
  readonly positionIds: Int32Array;
  /** `[B + 1]`: 0, then the end of each row in `inputIds` (the last is T). */
  readonly cuSeqlens: Int32Array;
  /** The longest row's length (0 for a batch without rows). */
  readonly maxSeqlen: number;
  /** Segment ids (0 for A, 1 for B) for the pair formats, `[T]`. */
  readonly tokenTypeIds?: Int32Array;
  /** `[T]`: the shape of `inputIds`. */
  readonly shape: readonly [number];
}

/** Dense labels: one per position of `inputIds`. */
export interface DenseLabels {
  /** The original id at masked positions, the ignore index (default -100) elsewhere; the shape of `inputIds`. */
  readonly labels: Int32Array;
  readonly maskedIds?: undefined;
}

/**
 * Sparse labels: only the masked positions. Without `maxPredictions`: `maskedPositions` and
 * `maskedIds` are `[M]`, flat positions into `inputIds` (`r * L + j` padded, `cuSeqlens[r] + j`
 * packed), increasing. With `maxPredictions` N (the fixed-shape google-bert form):
 * `maskedPositions`, `maskedIds` and `maskedWeights` are `[B, N]`, row-major, positions
 * row-local (`j`, as google-bert's `masked_lm_positions`), each row's real predictions first
 * (increasing), then padding slots of position 0, id `ignoreIndex` (-100 by default) and weight 0.
 */
export interface SparseLabels {
  readonly labels?: undefined;
  /** `[M]` flat positions into `inputIds`; `[B, N]` row-local positions with `maxPredictions`. */
  readonly maskedPositions: Int32Array;
  /** The original id at each of them (`ignoreIndex` in padding slots). */
  readonly maskedIds: Int32Array;
  /** `[B + 1]`: row r's predictions are entries `[maskedRowStart[r], maskedRowStart[r + 1])` of the `[M]` form (r's count in either form). */
  readonly maskedRowStart: Int32Array;
  /** With `maxPredictions`: `[B, N]` float32, 1 for a real prediction, 0 for a padding slot. */
  readonly maskedWeights?: Float32Array;
  /** N, with the `[B, N]` form. */
  readonly maxPredictions?: number;
}

/** Today's form: padded rows, dense labels. */
export interface Batch extends BatchRows, PaddedArrays, DenseLabels {}
/** Padded rows, sparse labels. */
export interface PaddedSparseBatch extends BatchRows, PaddedArrays, SparseLabels {}
/** Packed rows, dense labels. */
export interface PackedBatch extends BatchRows, PackedArrays, DenseLabels {}
/** Packed rows, sparse labels. */
export interface PackedSparseBatch extends BatchRows, PackedArrays, SparseLabels {}
/** A batch of any form. */
export type AnyBatch = Batch | PaddedSparseBatch | PackedBatch | PackedSparseBatch;

/** Row layout of a batch. */
export type BatchLayout = 'padded' | 'packed';
/** Label form of a batch. */
export type LabelForm = 'dense' | 'sparse';

/** The options that choose a batch's form. */
export interface BatchFormOptions {
  /** `'padded'` (default) or `'packed'`. */
  layout?: BatchLayout;
  /** `'dense'` (default) or `'sparse'`. */
  labels?: LabelForm;
  /** With `labels: 'sparse'`: the fixed `[B, N]` form of N predictions per row (an integer >= 1). */
  maxPredictions?: number;
}

/** The batch form that options `O` give (a union of forms when `O` does not fix them). */
export type BatchOf<O> = FormOf<OptionOf<O, 'layout', 'padded'>, OptionOf<O, 'labels', 'dense'>>;

/** The type of option `K` of `O`, or `D` where it may be absent. */
type OptionOf<O, K extends string, D> = O extends { readonly [P in K]?: infer V }
  ? (unknown extends V ? D : Exclude<V, undefined> | (undefined extends V ? D : never))
  : D;
type FormOf<L, D> = L extends 'packed'
  ? (D extends 'sparse' ? PackedSparseBatch : PackedBatch)
  : (D extends 'sparse' ? PaddedSparseBatch : Batch);

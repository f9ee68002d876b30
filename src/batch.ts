/**
 * One collated, masked batch: the unit every consumer (ONNX Runtime feeds, `.npy` export,
 * `inspect`) receives.
 *
 * Ownership: every array is backed by its own freshly allocated, non-shared `ArrayBuffer`
 * (never a view over WebAssembly memory, never a `SharedArrayBuffer`). The caller owns the
 * buffers and may transfer them to another thread or hand them to ONNX Runtime by reference.
 */
export interface Batch {
  /** Token ids after masking, row-major `[B, L]`. */
  readonly inputIds: Int32Array;
  /** 1 for real tokens (specials included), 0 for padding, `[B, L]`. */
  readonly attentionMask: Int32Array;
  /** The original id at masked positions, the ignore index (default -100) elsewhere, `[B, L]`. */
  readonly labels: Int32Array;
  /** Segment ids (0 for A, 1 for B) for the pair formats, `[B, L]`. */
  readonly tokenTypeIds?: Int32Array;
  /** 0 when segment B really follows A, 1 when B is a random segment, `[B]`; pair formats only. */
  readonly nextSentenceLabel?: Int32Array;
  /** `[B, L]`: rows and positions. */
  readonly shape: readonly [number, number];
  /** The sample id of each row (within its source), `[B]`; masking and pairing are pure functions of it. */
  readonly sampleIds: Uint32Array;
  /** Mixtures of stores: the index of each row's source (in the order the sources were given), `[B]`. */
  readonly sourceIds?: Int32Array;
}

// The masking parameter block the host writes before calling a kernel. Byte offsets from the
// block's start; the host's copy is src/wasm/abi.ts (checked against these by test/abi.test.ts).
//
//   0 seed u32        4 epoch u32 (effective)   8 tSel u32      12 tMask u32     16 tMr u32
//  20 maskId i32     24 ignoreIndex i32        28 randLo i32   32 nAllowed u32  36 mode (0 bernoulli, 1 exact)
//  40 wholeWord 0/1  44 nSpecial               48 nSkip        52 flags ptr: u8 per vocabulary id,
//                                                              bit 0 special, bit 1 starts a word
//  56 nRuns: contiguous runs of special ids (at least 2 slots are always filled; an empty run has length 0)
//  64 maskProb f64
//  72 span 0/1 (span masking)  76 spanWords 0/1 (span units are words)  80 spanMaxLength (1..256)
//  84 maxPredictions (0: no cap)
// 128 specials i32[64] (any order)   384 skip i32[64] (specials in [randLo, randHi), ascending)
// 640 runs: per run a v128 splat of (first id - 1) then a v128 splat of (first id + length) (32 bytes)
// 2688 span length thresholds u32[spanMaxLength - 1] (length l + 1 when the draw is >= entry l - 1)
// 3712 end (block size 4096)

export const P_SEED: usize = 0;
export const P_EPOCH: usize = 4;
export const P_TSEL: usize = 8;
export const P_TMASK: usize = 12;
export const P_TMR: usize = 16;
export const P_MASK_ID: usize = 20;
export const P_IGNORE: usize = 24;
export const P_RAND_LO: usize = 28;
export const P_N_ALLOWED: usize = 32;
export const P_MODE: usize = 36;
export const P_WHOLE_WORD: usize = 40;
export const P_N_SPECIAL: usize = 44;
export const P_N_SKIP: usize = 48;
export const P_FLAGS: usize = 52;
export const P_MASK_PROB: usize = 64;
export const P_SPAN: usize = 72;
export const P_SPAN_WORDS: usize = 76;
export const P_SPAN_MAX: usize = 80;
export const P_MAX_PRED: usize = 84;
export const P_SPAN_CDF: usize = 2688;
export const MAX_SPAN_LENGTH: i32 = 256;
export const P_SPECIALS: usize = 128;
export const P_SKIP: usize = 384;
export const P_N_RUNS: usize = 56;
export const P_RUNS: usize = 640;
export const PARAMS_SIZE: usize = 4096;
export const MAX_SPECIALS: i32 = 64;

export const MODE_BERNOULLI: i32 = 0;
export const MODE_EXACT: i32 = 1;

export const FLAG_SPECIAL: u8 = 1;
export const FLAG_WORD_START: u8 = 2;

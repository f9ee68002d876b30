export * from './rng.js';
export * from './errors.js';
export { isOptionError, type OptionError } from './validate.js';
export { MASKPACK_VERSION } from './version.js';
export type * from './batch.js';
export type * from './store/types.js';
export * from './mask/masker.js';
export type { MaskOptions, MaskSelection } from './mask/options.js';
export { createMemoryStore, robertaSpecials, ROBERTA_VOCAB_SIZE, type MemoryStoreOptions } from './store/memory.js';
export {
  buildSampleIndex, FORMATS, FORMAT_NAMES, TEMPLATES, PAIR_FLAG, pairSpecials, storeFingerprint,
  type FormatSpec, type SampleIndexOptions, type FormatName, type Template, type SampleIndex,
  type SingleSampleIndex, type PairSampleIndex, type SampleIndexParams,
} from './formats/index.js';
export * from './sampler/index.js';
export { buildRowPlan, planBatch, planRows, type RowPlan, type PlanContext, type PlanLayout, type PlanRows, type PlanSource } from './collate/plan.js';
export { collateReference, type Collated } from './collate/reference.js';
export { encodeNpy, writeNpy, NpyWriter, type NpyDtype } from './export/npy.js';
export { Collator, collateMaskReference, storeMaskOptions, type CollatorMaskOptions, type CollatorOptions } from './collate/collator.js';
export { createLoader, Loader } from './loader/loader.js';
export type { LoaderOptions, LoaderMaskOptions, PaddedDenseLoaderOptions } from './loader/options.js';
export { exportBatches, type ExportControl, type ExportedEpoch, type ExportSummary } from './export/export.js';
export { EXPORT_FORMAT, EXPORT_FORMAT_VERSION, type ExportRecord } from './export/record.js';
export type { ExportOptions, ExportWidth } from './export/layout.js';
export { streamBatches, type StreamOptions, type StreamSummary } from './stream/stream.js';
export { encodeBatch, encodeEnd, STREAM_FORMAT, type BatchHeader, type EndHeader } from './stream/wire.js';
export { STREAM_ARRAYS, streamArrays, type StreamArraySpec } from './stream/arrays.js';
export { BATCH_ARRAYS, batchArrays, batchArrayShape, type BatchArray, type BatchArraySpec, type BatchArrayShape, type BatchField } from './batch-arrays.js';
export { MAX_PREDICTIONS_LIMIT } from './collate/form.js';
export { listenOnce, type OneConnection } from './stream/socket.js';
export * from './train/runtime/trainer.js';
export * from './train/runtime/run.js';
export * from './train/runtime/options.js';
export * from './train/model/schedule.js';
export * from './train/model/adamw.js';
export * from './train/model/config.js';
export * from './train/model/training-graphs.js';
export { DTYPE_CODES, dtypeForVocab, IDX_MAGIC, IDX_VERSION, storePaths, type StoreDtype } from './store/format.js';
export { MANIFEST_FORMAT, MANIFEST_VERSION, type StoreManifest, type TokenizerIdentity, type WordStartInfo } from './store/manifest.js';
export * from './store/writer.js';
export * from './store/reader.js';
export * from './store/load.js';
export * from './store/merge.js';
export * from './store/fairseq.js';
export * from './store/stats.js';
export * from './tokenizer/types.js';
export * from './tokenizer/gpt2.js';
export * from './tokenizer/huggingface.js';
export * from './tokenizer/load.js';
export { SPECIAL_ROLES, type SpecialRole, type SpecialTokenChoice } from './tokenizer/specials.js';
export * from './ingest/split.js';
export * from './ingest/ingest.js';
export { INPUT_FORMATS, type InputFormat } from './ingest/documents.js';
export { WHITESPACE_RULE } from './ingest/pipeline.js';
export * from './corpus/sotu.js';
export { sliceDocuments } from './store/slice.js';
export { documentOfToken, DocumentSentences, forEachSentenceChunk } from './store/layout.js';
export { AUTO_MEMORY_BYTES, type StoreAccess, type StoreAccessOption } from './wasm/stores.js';
export {
  evaluationSeed, MAX_EVAL_BATCHES, resolveTrainJobOptions, trainJob, type ResolvedTrainJob, type TrainJobOptions, type TrainJobSummary,
} from './train/runtime/job.js';

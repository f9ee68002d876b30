export * from './rng.js';
export * from './errors.js';
export type * from './batch.js';
export type * from './store/types.js';
export * from './store/memory.js';
export * from './formats/index.js';
export * from './sampler/index.js';
export * from './collate/plan.js';
export * from './collate/reference.js';

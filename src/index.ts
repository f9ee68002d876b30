export * from './batch.js';
export * from './errors.js';
export * from './rng.js';
export * from './store/types.js';
export * from './mask/masker.js';
export type { MaskOptions, MaskSelection } from './mask/options.js';

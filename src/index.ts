export type { Batch } from './batch.js';
export * from './train/feeds.js';
export * from './train/trainer.js';
export * from './train/run.js';
export * from './train/options.js';
export * from './train/schedule.js';
export * from './train/adamw.js';
export * from './train/model.js';
export * from './train/graphs.js';

export * from './errors.js';
export * from './store/types.js';
export * from './store/format.js';
export * from './store/manifest.js';
export * from './store/writer.js';
export * from './store/reader.js';
export * from './store/load.js';

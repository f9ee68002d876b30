/**
 * The `maskpack/onnxruntime` entry point: batches as ONNX Runtime feeds. Its types name
 * onnxruntime-node's `Tensor`, so it is kept out of the main entry, whose types need no optional
 * package; importing it needs onnxruntime-node installed.
 */
export * from './train/runtime/feeds.js';

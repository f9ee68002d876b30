/** onnxruntime-node, an optional peer dependency, loaded when the training API first needs it. */
import type * as Ort from 'onnxruntime-node';
import { requireOptional, type OptionalPackage } from '../../optional-package.js';

/** The onnxruntime-node module's exports. */
export type OnnxRuntime = typeof Ort;

/**
 * onnxruntime-node as maskpack needs it. Its install script downloads CUDA libraries from
 * outside the npm registry on Linux x64; the CPU binaries that maskpack uses ship inside the
 * npm package, so the install below turns the download off (README, "Installing").
 */
export const ONNXRUNTIME_PACKAGE: OptionalPackage = {
  name: 'onnxruntime-node',
  neededBy: 'training (createTrainer, trainJob, toFeeds, maskpack train)',
  install: 'npm pkg set allowScripts.onnxruntime-node=false --json && npm install onnxruntime-node@1.30.0 ' +
    '(the first command stops its install script from downloading CUDA libraries; with an npm that has no allowScripts, ' +
    'put the line onnxruntime-node-install=skip in the project\'s .npmrc instead)',
};

/**
 * The onnxruntime-node module, loaded on the first call (ONNX Runtime is a CommonJS package, so
 * this is the same module object an `import` of it gives).
 * @throws MaskpackError ERR_MISSING_PACKAGE when onnxruntime-node is not installed.
 */
export function loadOnnxRuntime(): OnnxRuntime {
  return (loaded ??= requireOptional<OnnxRuntime>(ONNXRUNTIME_PACKAGE));
}

let loaded: OnnxRuntime | undefined;

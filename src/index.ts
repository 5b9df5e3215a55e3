// Public API of yi-ts. Data flows one way: kernels -> runtime -> tensor -> (model, train, serve...).
export { Runtime, getRuntime, setRuntime, type RuntimeOptions, type Place } from './runtime/runtime.js';
export { Arena } from './runtime/arena.js';
export { loadKernelModule, type KernelFlavor } from './runtime/module.js';
export { Tensor, copyTo } from './tensor/tensor.js';
export * from './tensor/dtype.js';
export * from './tensor/ops/index.js';
export * from './tensor/half.js';
export * from './formats/gguf.js';
export { FormatError } from './formats/errors.js';
export * from './formats/safetensors.js';
export * from './formats/llama-names.js';
export * from './formats/hf-config.js';
export * from './model/config.js';

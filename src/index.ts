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
export { Tokenizer, type EncodeOptions, type SpecialTokens, type DecodeOptions, type TokenizerSpec } from './tokenizer/tokenizer.js';
export { StreamDecoder } from './tokenizer/decode.js';
export {
  parseModelProto,
  readModelProto,
  encodeModelProto,
  ModelProtoError,
  PieceType,
  ModelType,
  type ModelProto,
  type ModelProtoInit,
  type SentencePiece,
  type TrainerSpec,
  type NormalizerSpec,
} from './tokenizer/sentencepiece-proto.js';
export * from './formats/safetensors.js';
export * from './formats/llama-names.js';
export * from './formats/hf-config.js';
export * from './model/config.js';
export { convertCheckpoint, ConvertError, CONVERT_TYPES, GGUF_FILE_TYPE, type ConvertOptions, type ConvertResult, type ConvertType } from './model/convert.js';
export { renderChat, CHATML_TEMPLATE, type ChatMessage, type ChatTemplateOptions } from './tokenizer/chat.js';
export { YiModel, type ModelOptions } from './model/model.js';
export { loadModel, loadFromSource, type LoadOptions } from './model/load.js';
export { openWeights, LoadError, type WeightSource, type SourceTensor } from './model/source.js';
export { generate, type GenerateOptions, type GenerateResult } from './model/generate.js';
export { Sampler, type SamplerOptions } from './model/sampler.js';
export { trainTokenizer, TrainError, YI_CONTROL_SYMBOLS, type TrainOptions, type TrainStats } from './tokenizer/train.js';
export { writeTokenizerFiles } from './tokenizer/train-files.js';
export { readDocuments, listCorpusFiles, DocumentError, type ReadOptions } from './data/documents.js';
export * from './data/dedup/index.js';
export * from './data/cluster/index.js';

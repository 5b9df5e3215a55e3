// Public API of yi-ts. Data flows one way: kernels -> runtime -> tensor -> (model, train, serve...).
export { Runtime, getRuntime, setRuntime, type RuntimeOptions, type Place } from './runtime/runtime.js';
export { Arena, OutOfArenaMemory } from './runtime/arena.js';
export { loadKernelModule, type KernelFlavor } from './runtime/module.js';
export { Tensor, copyTo } from './tensor/tensor.js';
export * from './tensor/dtype.js';
export * from './tensor/ops/index.js';
export * from './tensor/half.js';
export * from './formats/gguf.js';
export { FormatError } from './formats/errors.js';
export { Tokenizer, type EncodeOptions, type TextSpan, type SpecialTokens, type DecodeOptions, type TokenizerSpec } from './tokenizer/tokenizer.js';
export { StreamDecoder } from './tokenizer/decode.js';
export { TokenizerError } from './tokenizer/errors.js';
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
export { renderChat, encodeChat, chatSpans, ChatTemplateError, CHATML_TEMPLATE, DEFAULT_CHAT_TEMPLATE_LIMITS, type ChatMessage, type ChatTemplateOptions, type ChatTemplateLimits } from './tokenizer/chat.js';
export { YiModel, type ModelOptions } from './model/model.js';
export { loadModel, loadFromSource, type LoadOptions, type LoadMessageLevel } from './model/load.js';
export { inspectModel, type InspectOptions, type ModelInfo } from './model/inspect.js';
export { matrixType, FALLBACK_TYPE, type WeightFallback } from './model/weight-types.js';
export type { MatrixTypes } from './model/weights.js';
export { openWeights, LoadError, type WeightSource, type SourceTensor } from './model/source.js';
export { generate, generateAsync, type GenerateOptions, type GenerateResult } from './model/generate.js';
export { Sampler, type SamplerOptions } from './model/sampler.js';
export { perplexity, perplexityOfText, evalTokens, tokenNll, type PerplexityOptions, type PerplexityResult } from './eval/perplexity.js';
export { perplexityWindows, type Window, type WindowOptions } from './eval/windows.js';
export { quantTable, markdownTable, tableRows, QUANT_TABLE_ROWS, DEFAULT_TABLE_LABELS, type QuantTableRow, type QuantTableLine, type QuantTableOptions, type TableType } from './eval/quant-table.js';
export { EvalError } from './eval/errors.js';
export { awqQuantizeCheckpoint, AWQ_TYPES, mixTypeOf, type AwqQuantizeOptions, type AwqQuantizeResult } from './model/awq/quantize-awq.js';
export { searchAwqScales, measureLayerErrors, DEFAULT_AWQ_GRID, type AwqSearchOptions, type AwqSearchResult, type AwqGroupReport, type LayerError, type TypeOf } from './model/awq/awq.js';
export { calibrationFromFile, DEFAULT_CALIB_TOKENS, DEFAULT_CALIB_SEQ_LEN, type Calibration, type CalibrationOptions } from './model/awq/calibration.js';
export { foldScales } from './model/awq/fold.js';
export { scalesFor, canScaleO, type LayerScales, type GroupName } from './model/awq/scales.js';
export { AwqError } from './model/awq/errors.js';
export { trainTokenizer, TrainError, YI_CONTROL_SYMBOLS, type TrainOptions, type TrainStats } from './tokenizer/train.js';
export { writeTokenizerFiles } from './tokenizer/train-files.js';
export { readDocuments, listCorpusFiles, DocumentError, type ReadOptions } from './data/documents.js';
export {
  openTokenDataset,
  TokenDataset,
  TokenSplit,
  ShardWriter,
  TokenShardError,
  inspectShard,
  writeDatasetMeta,
  dtypeForVocab,
  shardFileName,
  type DatasetMeta,
  type SplitName,
  type TokenDtype,
  type ShardEntry,
  type SplitEntry,
  type ShardInfo,
  type OpenTokenDatasetOptions,
} from './train/shards.js';
export { tokenizeCorpus, defaultTokenizeThreads, isValidationDocument, tokenizerSha256, type TokenizeCorpusOptions, type TokenizeProgress, type TokenizeResult } from './train/tokenize.js';
export { PackedSequences, validationBatches, sequenceCount, type PackingState, type PackingOptions, type TokenBatch, type ValidationOptions } from './train/packing.js';
export { isGlobalStage, type Doc, type StageResult, type StageKind, type DocStage, type GlobalStage, type GlobalStageDirs, type Stage } from './data/types.js';
export { runPipeline, reportPipelineRun, type RunPipelineOptions, type PipelineRunResult, type PipelineProgress, type OutputFormat, type TokenOutputOptions } from './data/pipeline/run.js';
export { registerStage, stageTypes, createStage, type StageFactory, type StageContext, type StageTypeInfo } from './data/pipeline/registry.js';
export { loadPipelineFile, parsePipelineSpec, pipelineToYaml, PipelineError, type PipelineSpec, type StageSpec } from './data/pipeline/spec.js';
export { type PipelineSource, type PipelineModuleRef, type StageInfo } from './data/pipeline/build.js';
export { resolveRank, WORLD_SIZE_ENV, type RankInfo } from './data/pipeline/rank.js';
export { DEFAULT_PIPELINE, BUILTIN_PIPELINES } from './data/pipelines/index.js';
export { readSlice, listInputFiles, htmlToText, InputError, type ReadItem, type ReadErrorKind, type ReaderOptions, type Slice, type InputFile, type InputFormat } from './data/readers/index.js';
export { readRunStats, type RunStats, type ReportFiles } from './data/report.js';
export type { StageStats, FileStats, DropExample } from './data/pipeline/stats.js';
export { barChartSvg, lineChartSvg, vegaLiteToSvg, type BarDatum, type BarChartOptions, type LinePoint, type LineChartOptions } from './report/charts.js';
export { filterFactories, badWords, c4Quality, fineWebQuality, gopherQuality, gopherRepetition, languageId, pii, urlBlocklist, yiTextMetrics, StageOptionError } from './data/filters/index.js';

// Training: the autograd tape, the trainable model, AdamW and schedules, checkpoints, the pretraining loop.
export { Tape, Var } from './tensor/autograd/tape.js';
export * as autograd from './tensor/autograd/ops.js';
export { parameterShapes } from './model/weights.js';
export { YiTrainable, type Param, type ParamInit, type StepOptions, type LossSum, type TrainableOptions, type BaseType, type LoraAdapter } from './model/trainable.js';
// LoRA: adapters on the trainable model, PEFT adapter folders, merging into the base (docs/finetuning.md).
export { LORA_TARGETS, LoraError, parseLoraTargets, loraScale, type LoraOptions, type LoraTarget } from './model/lora.js';
export { AdapterError, applyLoraAdapter, loadLoraAdapter, saveLoraAdapter, writeLoraAdapterFiles, type LoraAdapterFiles, type LoraAdapterMeta } from './sft/peft.js';
export { mergeLoraAdapter, type MergeOptions, type MergeResult } from './sft/merge.js';
export { StepOptionsError, PADDING_SEGMENT } from './model/packing.js';
export { addNeftuneNoise, neftuneBound, type NeftuneOptions } from './model/neftune.js';
export { checkInferenceMemory, checkTrainingMemory, inferenceMemory, trainingMemory, parameterCount, InsufficientMemoryError, type MemoryEstimate, type MemoryLimits } from './model/memory.js';
export { AdamW, PRETRAIN_ADAMW, SFT_ADAMW, type AdamWOptions, type StepReport } from './train/optimizer.js';
export { learningRate, decayedRate, wsdDecayStart, type ScheduleOptions, type ScheduleKind } from './train/schedule.js';
export { TimeBudget, BudgetError, type TimeBudgetOptions, type BudgetState, type BudgetSummary, type StepPlan } from './train/budget.js';
export { readHeartbeat, HEARTBEAT_FILE, type Heartbeat } from './train/heartbeat.js';
export { saveCheckpoint, loadCheckpoint, latestCheckpoint, writeModelFolder, publishModelFolder, CheckpointError, type TrainerState } from './train/checkpoint.js';
export { removeStaleWrites } from './train/run-folder.js';
export { pretrain, type PretrainOptions, type PretrainResult, type ResumedTime, type TrainEvent } from './train/pretrain.js';
export { unigramBaseline, type UnigramBaseline } from './train/baseline.js';
export { writeRunReport, readTrainLog, type RunReportOptions } from './train/report.js';
export { SftDataError, RejectCounter, REJECT_REASONS, type ChatRole, type ChatTurn, type Conversation, type RejectReason } from './sft/conversation.js';
export { readConversations, type ReadConversationsOptions } from './sft/read-conversations.js';
export { renderConversation, renderConversations, type RenderedSample, type RenderOptions, type RenderConversationsOptions } from './sft/render.js';
export { packSamples, epochBatches, planEpoch, planRows, type SftBatch, type PackOptions, type EpochPlan } from './sft/pack.js';
export { brownDocuments, brownGenres } from './data/corpora/brown.js';
export { buildChatFacts, chatFactsLines, exportChatFacts, noisyTrainingLines, ChatFactsError, type ChatFactsExportOptions, type ChatFactsLine, type ChatFactsSample } from './data/corpora/chat-facts/index.js';
export { normalizeAnswer, exactMatch } from './sft/score.js';
export * from './data/scorers/index.js';
export * from './data/dedup/index.js';
export * from './data/cluster/index.js';
export * from './serve/engine-api.js';
export { createServer, type ServerOptions, type YiServer } from './serve/http/server.js';
export { createEngine, openEngine, serveModelOptions } from './serve/create-engine.js';
export { LLMEngine } from './serve/engine.js';
export { EngineOptionsError, parseByteSize, type EngineOptions, type KVType } from './serve/engine-options.js';
export { createSampler, RequestSampler, SamplingError } from './serve/sampling.js';
export { StopStringFilter } from './tokenizer/stop-strings.js';

// The chat-facts set: a bilingual (English, Chinese) instruction set built from structured data in npm packages,
// every answer true by construction, split into train and held-out by entity. See docs/finetuning.md.
export { buildChatFacts, buildChatFactsFrom, type ChatFactsOptions, type ChatFactsSample, DEFAULT_SEED } from './build.js';
export { ChatFactsError } from './errors.js';
export { chatFactsLines, exportChatFacts, type ChatFactsExportOptions, type ChatFactsExportSummary, type ChatFactsSplitChoice } from './export.js';
export { CORRUPTION_KINDS, noisyTrainingLines, truncateAnswer } from './noisy.js';
export { type ChatFactsSources, loadChatFactsSources } from './sources.js';
export type { ChatFactsLine, CorruptionKind, Lang, Split } from './types.js';

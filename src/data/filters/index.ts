// The per-document cleaning stages by type name, for the pipeline executor's registry and for
// pipelines declared in JSON/YAML: `filterFactories[type](options)`.
import type { OptionRule } from '../options/schema.js';
import type { DocStage } from '../types.js';
import { BAD_WORDS_SCHEMA, badWords } from './bad-words.js';
import { C4_QUALITY_SCHEMA, c4Quality } from './c4-quality.js';
import { FINEWEB_QUALITY_SCHEMA, fineWebQuality } from './fineweb-quality.js';
import { GOPHER_QUALITY_SCHEMA, gopherQuality } from './gopher-quality.js';
import { GOPHER_REPETITION_SCHEMA, gopherRepetition } from './gopher-repetition.js';
import { LANGUAGE_ID_SCHEMA, languageId } from './language-id.js';
import { PII_SCHEMA, pii } from './pii.js';
import { URL_BLOCKLIST_SCHEMA, urlBlocklist } from './url-blocklist.js';
import { YI_TEXT_METRICS_SCHEMA, yiTextMetrics } from './yi-text-metrics.js';

export const filterFactories: Record<string, (opts?: any) => DocStage> = {
  language_id: languageId,
  url_blocklist: urlBlocklist,
  bad_words: badWords,
  gopher_quality: gopherQuality,
  gopher_repetition: gopherRepetition,
  c4_quality: c4Quality,
  fineweb_quality: fineWebQuality,
  yi_text_metrics: yiTextMetrics,
  pii: pii,
};

/** Each type's option schema (what a pipeline file may set). */
export const filterSchemas: Record<string, Record<string, OptionRule>> = {
  language_id: LANGUAGE_ID_SCHEMA,
  url_blocklist: URL_BLOCKLIST_SCHEMA,
  bad_words: BAD_WORDS_SCHEMA,
  gopher_quality: GOPHER_QUALITY_SCHEMA,
  gopher_repetition: GOPHER_REPETITION_SCHEMA,
  c4_quality: C4_QUALITY_SCHEMA,
  fineweb_quality: FINEWEB_QUALITY_SCHEMA,
  yi_text_metrics: YI_TEXT_METRICS_SCHEMA,
  pii: PII_SCHEMA,
};

export { badWords, BAD_WORDS_DEFAULTS, type BadWordsOptions } from './bad-words.js';
export { c4Quality, c4Clean, C4_QUALITY_DEFAULTS, type C4QualityOptions, type C4QualityRules } from './c4-quality.js';
export { fineWebQuality, FINEWEB_QUALITY_DEFAULTS, type FineWebQualityOptions, type FineWebQualityThresholds } from './fineweb-quality.js';
export { gopherQuality, GOPHER_QUALITY_DEFAULTS, type GopherQualityOptions, type GopherQualityThresholds } from './gopher-quality.js';
export { gopherRepetition, GOPHER_REPETITION_DEFAULTS, type GopherRepetitionOptions, type GopherRepetitionThresholds } from './gopher-repetition.js';
export { languageId, identifyLanguage, LANGUAGE_ID_DEFAULTS, type LanguageIdOptions, type EldDatabase } from './language-id.js';
export { pii, anonymize, PII_DEFAULTS, type PiiOptions, type PiiCounts } from './pii.js';
export { urlBlocklist, URL_BLOCKLIST_DEFAULTS, type UrlBlocklistOptions } from './url-blocklist.js';
export { yiTextMetrics, yiMetrics, YI_TEXT_METRICS_DEFAULTS, type YiTextMetricsOptions, type YiMetrics } from './yi-text-metrics.js';
export { StageOptionError } from './options.js';

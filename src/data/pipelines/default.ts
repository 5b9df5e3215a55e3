// The default cleaning cascade, in the order of Yi's Figure 1 (YI-SPEC.md §4): language id ->
// heuristic rules and text metrics -> repetition -> rule-based correction (PII) -> perplexity ->
// quality -> paragraph dedup -> MinHash dedup -> exact-substring dedup -> safety -> topic and
// cluster filtering. Each stage's defaults are the documented rules of DATA-RULES.md; the
// learned scorers read the model files `yi data train-...` writes. `yi data pipeline default`
// prints this as YAML to start a custom pipeline from.
import type { PipelineSpec } from '../pipeline/spec.js';

export const DEFAULT_PIPELINE: PipelineSpec = {
  stages: [
    { type: 'language_id' },
    { type: 'url_blocklist' },
    { type: 'bad_words' },
    { type: 'gopher_quality' },
    { type: 'c4_quality' },
    { type: 'fineweb_quality' },
    { type: 'yi_text_metrics' },
    { type: 'gopher_repetition' },
    { type: 'pii' },
    { type: 'perplexity' },
    { type: 'quality_classifier' },
    { type: 'coherence' },
    { type: 'line_dedup' },
    { type: 'minhash_dedup' },
    { type: 'exact_substring_dedup' },
    { type: 'safety' },
    { type: 'cluster_filter' },
    { type: 'topic_mix' },
  ],
};

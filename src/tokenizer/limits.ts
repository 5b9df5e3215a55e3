// What a tokenizer file may claim, checked before anything is read, parsed or allocated for it. Real
// files are far below: Llama 3 has 128k tokens in a 9 MB tokenizer.json, Qwen 2 152k in 7 MB, Gemma
// 256k in 34 MB; a tokenizer.model is a few MB (protobuf's own default message limit is 64 MiB).

/** Largest tokenizer.json or tokenizer_config.json read. */
export const MAX_JSON_BYTES = 256 * 1024 * 1024;

/** Largest tokenizer.model read. */
export const MAX_MODEL_BYTES = 64 * 1024 * 1024;

/** Most tokens (pieces) a vocabulary may have, added tokens included. */
export const MAX_PIECES = 1 << 22;

/** Most merges a tokenizer.json may list (Llama 3 has 280k). */
export const MAX_MERGES = 1 << 22;

/** Deepest nesting of Sequence components (normalizer, pre_tokenizer, post_processor, decoder). */
export const MAX_COMPONENT_DEPTH = 64;

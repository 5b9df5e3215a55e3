// The Chinese word segmenter: jieba (the Rust port, @node-rs/jieba, a prebuilt native module), with
// its default dictionary. datatrove's word tokenizer for zh is spaCy with the jieba segmenter, so
// word counts and n-grams of Chinese text match what its rules were tuned on. Loading the
// dictionary takes ~0.2 s and ~40 MB, so it is done once per worker and only when asked for.
import { createRequire } from 'node:module';

interface JiebaLike {
  cut(sentence: string, hmm?: boolean | null): string[];
}

let jieba: JiebaLike | undefined;

/** The process's segmenter, loaded on first use. */
export function chineseSegmenter(): JiebaLike {
  if (!jieba) {
    const require = createRequire(import.meta.url);
    const { Jieba } = require('@node-rs/jieba') as { Jieba: { withDict(dict: Uint8Array): JiebaLike } };
    const { dict } = require('@node-rs/jieba/dict.js') as { dict: Uint8Array };
    jieba = Jieba.withDict(dict);
  }
  return jieba;
}

/** Loads the segmenter now (stages call this from init(), so the first document does not pay). */
export async function loadChineseSegmenter(): Promise<void> {
  chineseSegmenter();
}

/** init() of a stage that splits words: loads the segmenter unless every document is in a language without one. */
export async function initSegmenter(language: string): Promise<void> {
  if (language === 'auto' || language === 'zh') chineseSegmenter();
}

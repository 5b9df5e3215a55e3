// The shapes of the chat-facts set: what a domain (countries, elements, words, arithmetic) states about an
// entity, and the JSONL line a conversation is written as (SFT-CONTRACT.md, "chatfacts").
import type { ChatTurnLike } from './turns.js';

export type Lang = 'en' | 'zh';
export type Split = 'train' | 'heldout';

/** One question about one entity in one language, with its true answer, phrasings already chosen. */
export interface FactCard {
  /** Task name, e.g. 'country-capital' (the `task` field). */
  task: string;
  lang: Lang;
  /** The entity the held-out split is drawn by, e.g. 'country:FR' (the `entity` field). */
  entity: string;
  /** The question asked on its own. */
  question: string;
  /** The question asked as a follow-up about the same entity ("And its capital?"); none where that reads badly. */
  followUp?: string;
  /** The canonical answer exact-match scoring compares with. */
  answer: string;
  /** The assistant turn stating `answer` (exactly once, bold, or as the whole turn), for any answer string. */
  reply: (answer: string) => string;
  /** The same task's answer in the other language, where one exists ("Europe" for "欧洲"). */
  otherLanguageAnswer?: string;
}

/** A conversation before its split is known: earlier true turns, then the scored question and its reply. */
export interface FactConversation {
  task: string;
  lang: Lang;
  entity: string;
  system?: string;
  /** Earlier user/assistant turns (true statements about the same entity). */
  context: ChatTurnLike[];
  question: string;
  answer: string;
  reply: (answer: string) => string;
  otherLanguageAnswer?: string;
}

/** Why a noisy sample's answer is wrong. */
export type CorruptionKind = 'wrong-entity' | 'truncated' | 'wrong-language';

/** One line of the exported JSONL. */
export interface ChatFactsLine {
  id: string;
  messages: ChatTurnLike[];
  split: Split;
  task: string;
  entity: string;
  /** What the last assistant turn states (the canonical answer on clean lines). */
  answer: string;
  /** Noisy exports only, on corrupted lines: how the answer was corrupted, and the true one. */
  corruption?: CorruptionKind;
  trueAnswer?: string;
}

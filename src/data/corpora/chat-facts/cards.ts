// Building a FactCard from a task's phrasings: one question, one follow-up and one reply shape are drawn for each
// card, so the set reads varied while every reply states the answer exactly once (bold, or as the whole turn).
import type { Rand } from './random.js';
import type { FactCard, Lang } from './types.js';

export interface CardSpec {
  task: string;
  lang: Lang;
  entity: string;
  questions: readonly string[];
  followUps?: readonly string[];
  answer: string;
  replies: readonly ((answer: string) => string)[];
  otherLanguageAnswer?: string;
}

export function makeCard(r: Rand, s: CardSpec): FactCard {
  const card: FactCard = { task: s.task, lang: s.lang, entity: s.entity, question: r.pick(s.questions), answer: s.answer, reply: r.pick(s.replies) };
  if (s.followUps && s.followUps.length > 0) card.followUp = r.pick(s.followUps);
  if (s.otherLanguageAnswer !== undefined && s.otherLanguageAnswer !== s.answer) card.otherLanguageAnswer = s.otherLanguageAnswer;
  return card;
}

/** Which languages a (entity, task) pair is asked in: both half the time, else one of them. */
export function languagesFor(r: Rand): Lang[] {
  const x = r.next();
  return x < 0.5 ? ['en', 'zh'] : x < 0.75 ? ['en'] : ['zh'];
}

/** The bare answer, as a whole short reply. */
export const bare = (a: string): string => a;
/** The answer in bold on its own. */
export const bold = (a: string): string => `**${a}**`;

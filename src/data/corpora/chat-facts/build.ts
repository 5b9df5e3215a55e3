// The chat-facts set: fact cards from every domain turned into conversations (some with a system prompt, some
// multi-turn with follow-ups about the same entity), split into train and held-out by entity, in a seeded order.
import { arithmeticConversations } from './arithmetic.js';
import { countryCards } from './countries.js';
import { elementCards } from './elements.js';
import { rand, type Rand } from './random.js';
import { type ChatFactsSources, loadChatFactsSources } from './sources.js';
import type { ChatTurnLike } from './turns.js';
import type { ChatFactsLine, FactCard, FactConversation, Lang, Split } from './types.js';
import { wordCards } from './words.js';

export interface ChatFactsOptions {
  /** Seed of every choice: phrasings, split, words asked about, arithmetic, order (default 1). */
  seed?: number;
  /** Share of each domain's entities held out (default 0.15). */
  heldoutFraction?: number;
}

/** A conversation of the set: its JSONL line and what a noisy variant needs to restate its answer. */
export interface ChatFactsSample {
  line: ChatFactsLine;
  /** The last assistant turn for any answer (the line's is `reply(line.answer)`). */
  reply: (answer: string) => string;
  lang: Lang;
  otherLanguageAnswer?: string;
}

export const DEFAULT_SEED = 1;
const WORDS_ASKED = 500;
const ARITHMETIC = 1400;

const SYSTEM_PROMPTS: Record<Lang, readonly string[]> = {
  en: [
    'You are a helpful assistant.',
    'You are a knowledgeable assistant. Answer accurately and concisely.',
    'You are a friendly tutor. Give short, correct answers.',
    'Answer the question briefly.',
  ],
  zh: ['你是一个乐于助人的助手。', '你是一位知识渊博的助手，请准确、简洁地回答。', '请简要回答用户的问题。'],
};

/** A conversation about a card, sometimes after one or two true exchanges about the same entity. */
function conversationFor(card: FactCard, siblings: readonly FactCard[], r: Rand): FactConversation {
  const conv: FactConversation = { task: card.task, lang: card.lang, entity: card.entity, context: [], question: card.question, answer: card.answer, reply: card.reply };
  if (card.otherLanguageAnswer !== undefined) conv.otherLanguageAnswer = card.otherLanguageAnswer;
  // An earlier exchange must not give the scored answer away ("Which element has the symbol Fe?" before "What is
  // its symbol?"), so exchanges that contain it are not used.
  const leaks = (s: FactCard) => s.question.includes(card.answer) || s.reply(s.answer).includes(card.answer);
  const others = siblings.filter((s) => s !== card && s.lang === card.lang && !leaks(s));
  if (card.followUp === undefined || others.length === 0) return conv;
  const x = r.next();
  const before = x < 0.08 ? 2 : x < 0.33 ? 1 : 0;
  if (before === 0) return conv;
  const chosen = r.shuffle(others).slice(0, before);
  // Only the first exchange may name the entity; the later ones need a follow-up phrasing.
  if (chosen.length === 2 && chosen[1]!.followUp === undefined) chosen.pop();
  chosen.forEach((c, i) => {
    conv.context.push({ role: 'user', content: i === 0 ? c.question : c.followUp! }, { role: 'assistant', content: c.reply(c.answer) });
  });
  conv.question = card.followUp;
  return conv;
}

function domainOf(entity: string): string {
  return entity.slice(0, entity.indexOf(':'));
}

/** Held-out entities: in each domain, a seeded `fraction` of its entities (at least one). */
function heldoutEntities(convs: readonly FactConversation[], fraction: number, r: Rand): Set<string> {
  const byDomain = new Map<string, Set<string>>();
  for (const c of convs) {
    const set = byDomain.get(domainOf(c.entity)) ?? new Set<string>();
    set.add(c.entity);
    byDomain.set(domainOf(c.entity), set);
  }
  const out = new Set<string>();
  for (const domain of [...byDomain.keys()].sort()) {
    const entities = [...byDomain.get(domain)!].sort();
    for (const e of r.shuffle(entities).slice(0, Math.max(1, Math.round(entities.length * fraction)))) out.add(e);
  }
  return out;
}

function toSample(c: FactConversation, split: Split, r: Rand): ChatFactsSample {
  const messages: ChatTurnLike[] = [];
  if (r.chance(0.3)) messages.push({ role: 'system', content: r.pick(SYSTEM_PROMPTS[c.lang]) });
  messages.push(...c.context, { role: 'user', content: c.question }, { role: 'assistant', content: c.reply(c.answer) });
  const line: ChatFactsLine = { id: `chat-facts/${c.lang}/${c.task}/${c.entity}`, messages, split, task: c.task, entity: c.entity, answer: c.answer };
  const s: ChatFactsSample = { line, reply: c.reply, lang: c.lang };
  if (c.otherLanguageAnswer !== undefined) s.otherLanguageAnswer = c.otherLanguageAnswer;
  return s;
}

/** Every conversation of the set from already loaded sources: train first, then held-out, each in seeded order. */
export function buildChatFactsFrom(src: ChatFactsSources, o: ChatFactsOptions = {}): ChatFactsSample[] {
  const seed = o.seed ?? DEFAULT_SEED;
  const templates = rand(seed, 'templates');
  const words = rand(seed, 'words')
    .shuffle(src.words)
    .slice(0, WORDS_ASKED)
    .sort((a, b) => (a.word < b.word ? -1 : 1));
  const cardsByEntity: FactCard[][] = [
    ...src.countries.map((c) => countryCards(c, src.continents, templates)),
    ...src.elements.map((e) => elementCards(e, templates)),
    ...words.map((w) => wordCards(w, templates)),
  ];
  const turns = rand(seed, 'turns');
  const convs: FactConversation[] = cardsByEntity.flatMap((cards) => cards.map((card) => conversationFor(card, cards, turns)));
  convs.push(...arithmeticConversations(rand(seed, 'arithmetic'), ARITHMETIC));
  const heldout = heldoutEntities(convs, o.heldoutFraction ?? 0.15, rand(seed, 'split'));
  const system = rand(seed, 'system');
  const samples = convs.map((c) => toSample(c, heldout.has(c.entity) ? 'heldout' : 'train', system));
  const order = rand(seed, 'order');
  return [...order.shuffle(samples.filter((s) => s.line.split === 'train')), ...order.shuffle(samples.filter((s) => s.line.split === 'heldout'))];
}

/** Every conversation of the set (reads the source packages). */
export async function buildChatFacts(o: ChatFactsOptions = {}): Promise<ChatFactsSample[]> {
  return buildChatFactsFrom(await loadChatFactsSources(), o);
}

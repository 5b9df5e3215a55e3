// Few-shot prompts for scoring a base model on the held-out questions, as lm-eval-harness scores base
// models: K solved examples from the training conversations, then the held-out question. A base model
// has never seen a chat template, so a zero-shot ChatML prompt mostly measures whether it guesses the
// format; the shots show it the format and the kind of answer, which is its best fair chance.
//
// Fairness rules (tested): a shot never has the held-out conversation's entity (nor its id), and never
// has the held-out answer as its own answer, so copying a shot can never score; the prompt ends at the
// held-out question, so the only place the answer can come from is the generation that is scored.
import { mulberry32 } from '../tensor/random.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { encodeChat, type ChatMessage } from '../tokenizer/chat.js';
import type { Conversation } from './conversation.js';
import { lastAssistant, type HeldoutConversation } from './dataset.js';
import { SftError } from './errors.js';
import { normalizeAnswer } from './score.js';

/**
 * How the shots are shown. `text`: plain `Q: ... / A: ...` paragraphs with the answer on one line, no
 * chat markers (lm-eval-harness's base-model form); the answer is the first non-empty line. `chatml`:
 * the shots as earlier user/assistant turns of the chat template; generation stops at <|im_end|>.
 */
export type FewShotFormat = 'text' | 'chatml';
export const FEW_SHOT_FORMATS: readonly FewShotFormat[] = ['text', 'chatml'];

export interface FewShotOptions {
  /** Solved examples before each held-out question. */
  shots: number;
  /** Seeds which training conversations are chosen (each prompt's choice depends only on this and its id). */
  seed: number;
  format: FewShotFormat;
}

/** One solved example: a question and its canonical answer. */
export interface Shot {
  id: string;
  question: string;
  answer: string;
}

export interface FewShotPrompt {
  ids: number[];
  /** The shots actually shown (fewer than asked when the prompt would not fit otherwise). */
  shots: Shot[];
  /** The answer is the first non-empty line of the generation (the text form: a base model may start with a line break). */
  firstLine: boolean;
}

/** The canonical answer of a conversation: its "answer" field, else its last assistant turn. */
function answerOf(c: Conversation): string {
  return c.answer ?? lastAssistant(c).content;
}

function lastUser(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === 'user') return messages[i]!.content;
  return '';
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/u;

/** A 32-bit hash of a string (FNV-1a), to give each prompt its own seeded stream. */
function hash(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * The K shots for one held-out conversation, from the pool of training conversations: preferring the
 * same task, then the same script (Chinese or not) of the question, then single-turn examples (a
 * follow-up such as "And its capital?" means nothing without its earlier turns); ties broken by a
 * seeded draw. Never the held-out entity or id, never the held-out answer.
 */
export function chooseShots(target: HeldoutConversation, pool: readonly Conversation[], shots: number, seed: number): Shot[] {
  if (!Number.isInteger(shots) || shots < 0) throw new SftError(`few-shot: shots must be an integer >= 0, got ${shots}`);
  if (shots === 0) return [];
  const conv = target.conv;
  const question = lastUser(conv.messages.slice(0, lastAssistant(conv).index));
  const cjk = CJK.test(question);
  const want = normalizeAnswer(target.answer);
  const rnd = mulberry32(hash(conv.id, seed));
  const ranked: { c: Conversation; f: ShotFacts; rank: number; key: number }[] = [];
  for (const c of pool) {
    if (c.id === conv.id || (conv.entity !== undefined && c.entity === conv.entity)) continue;
    const f = shotFacts(c);
    if (f.normalized === want || f.question === '') continue;
    const rank = (conv.task !== undefined && c.task === conv.task ? 4 : 0) + (f.cjk === cjk ? 2 : 0) + (f.singleTurn ? 1 : 0);
    ranked.push({ c, f, rank, key: rnd() });
  }
  ranked.sort((a, b) => b.rank - a.rank || a.key - b.key);
  return ranked.slice(0, shots).map(({ c, f }) => ({ id: c.id, question: f.question, answer: f.answer }));
}

interface ShotFacts {
  question: string;
  answer: string;
  normalized: string;
  cjk: boolean;
  singleTurn: boolean;
}

// What ranking needs of a pool conversation, worked out once: every held-out prompt ranks the whole pool.
const factsCache = new WeakMap<Conversation, ShotFacts>();

function shotFacts(c: Conversation): ShotFacts {
  let f = factsCache.get(c);
  if (!f) {
    const last = lastAssistant(c);
    const before = c.messages.slice(0, last.index);
    const question = lastUser(before);
    const answer = answerOf(c);
    f = { question, answer, normalized: normalizeAnswer(answer), cjk: CJK.test(question), singleTurn: !before.some((m) => m.role === 'assistant') };
    factsCache.set(c, f);
  }
  return f;
}

/** One line: a question or answer with its line breaks folded, so each Q/A stays a paragraph. */
function line(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** The text-format prompt: system text, the shots, the held-out conversation's turns, ending "A:". */
export function fewShotText(target: HeldoutConversation, shots: readonly Shot[]): string {
  const conv = target.conv;
  const before = conv.messages.slice(0, lastAssistant(conv).index);
  const parts: string[] = [];
  const system = before.find((m) => m.role === 'system');
  if (system) parts.push(line(system.content));
  for (const s of shots) parts.push(`Q: ${line(s.question)}\nA: ${line(s.answer)}`);
  const turns = before.filter((m) => m.role !== 'system').map((m) => `${m.role === 'user' ? 'Q' : 'A'}: ${line(m.content)}`);
  parts.push(`${turns.join('\n')}\nA:`);
  return parts.join('\n\n');
}

/** The chatml-format messages: the system turn, each shot as a user/assistant exchange, then the held-out turns. */
export function fewShotMessages(target: HeldoutConversation, shots: readonly Shot[]): ChatMessage[] {
  const conv = target.conv;
  const before = conv.messages.slice(0, lastAssistant(conv).index);
  const system = before.filter((m) => m.role === 'system');
  const rest = before.filter((m) => m.role !== 'system');
  return [...system, ...shots.flatMap((s): ChatMessage[] => [{ role: 'user', content: s.question }, { role: 'assistant', content: s.answer }]), ...rest.map((m) => ({ role: m.role, content: m.content }))];
}

/**
 * The few-shot prompt of a held-out conversation in tokens. Shots are dropped from the end until the
 * prompt plus `maxNewTokens` fits in `maxTokens` (the held-out question itself is always asked, so the
 * base and the finetuned model answer the same questions).
 */
export function fewShotPrompt(tok: Tokenizer, target: HeldoutConversation, pool: readonly Conversation[], o: FewShotOptions & { template: string; templateSource?: string; maxTokens: number; maxNewTokens: number }): FewShotPrompt {
  if (!FEW_SHOT_FORMATS.includes(o.format)) throw new SftError(`few-shot: format must be ${FEW_SHOT_FORMATS.join(' or ')}, got '${String(o.format)}'`);
  let shots = chooseShots(target, pool, o.shots, o.seed);
  for (;;) {
    const ids =
      o.format === 'text'
        ? tok.encode(fewShotText(target, shots))
        : encodeChat(tok, fewShotMessages(target, shots), { template: o.template, templateSource: o.templateSource, addGenerationPrompt: true });
    if (ids.length + o.maxNewTokens <= o.maxTokens || shots.length === 0) return { ids, shots, firstLine: o.format === 'text' };
    shots = shots.slice(0, -1);
  }
}

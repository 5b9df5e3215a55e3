// The science experiment's noisy training set (issue #15: a small clean set beats a larger noisy one): 4N training
// conversations of which a seeded share has a corrupted final answer, stated in the same reply shape:
//   wrong-entity    another entity's true answer to the same task, in the same language
//   truncated       the answer cut short (first half of its words, or of its characters for one word)
//   wrong-language  the same task's answer in the other language ("Europe" where "欧洲" was asked for)
// Earlier turns stay true, the held-out split is not touched, and the clean conversations are those of the clean set.
import type { ChatFactsSample } from './build.js';
import { ChatFactsError } from './errors.js';
import { rand } from './random.js';
import type { ChatFactsLine, CorruptionKind } from './types.js';

export interface NoisyOptions {
  /** N: the noisy set has 4N training conversations. */
  n: number;
  /** Share of them corrupted, in [0, 1] (the 0.6). */
  corrupt: number;
  seed: number;
}

export const CORRUPTION_KINDS: readonly CorruptionKind[] = ['wrong-entity', 'truncated', 'wrong-language'];

// Answers compared as exact-match scoring would see them apart (our answers carry no punctuation or marks; src/sft
// is a layer above and not imported here).
function comparable(answer: string): string {
  return answer.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/** The answer cut short: the first half (rounded up) of its words, or of its characters when it is one word. */
export function truncateAnswer(answer: string): string | undefined {
  const words = answer.split(' ');
  const parts = words.length > 1 ? words : [...answer];
  if (parts.length < 2) return undefined;
  return parts.slice(0, Math.ceil(parts.length / 2)).join(words.length > 1 ? ' ' : '');
}

/** The first 4N training conversations of the set's order, a seeded `corrupt` share of them corrupted. */
export function noisyTrainingLines(train: readonly ChatFactsSample[], o: NoisyOptions): ChatFactsLine[] {
  if (!Number.isInteger(o.n) || o.n < 1) throw new ChatFactsError(`--noisy: expected a positive integer N, got ${o.n}`);
  if (!(o.corrupt >= 0 && o.corrupt <= 1)) throw new ChatFactsError(`--corrupt: expected a share in [0, 1], got ${o.corrupt}`);
  const size = 4 * o.n;
  if (size > train.length) {
    throw new ChatFactsError(`--noisy ${o.n} needs ${size} training conversations; the set has ${train.length} at this seed (N at most ${Math.floor(train.length / 4)})`);
  }
  const chosen = train.slice(0, size);
  // Wrong answers come from training conversations only: a held-out answer must never be trained on.
  const answersByTask = new Map<string, Map<string, string>>();
  for (const s of train) {
    const key = `${s.lang}/${s.line.task}`;
    const distinct = answersByTask.get(key) ?? new Map<string, string>();
    distinct.set(comparable(s.line.answer), s.line.answer);
    answersByTask.set(key, distinct);
  }
  const answerLists = new Map([...answersByTask].map(([k, m]) => [k, [...m.values()]]));
  // What each conversation can be corrupted into; only those with some option are drawn, so the share is exact.
  const options = chosen.map((s) => {
    const truth = comparable(s.line.answer);
    const opts = new Map<CorruptionKind, string[]>();
    const distinct = answersByTask.get(`${s.lang}/${s.line.task}`)!;
    if (distinct.size > (distinct.has(truth) ? 1 : 0)) opts.set('wrong-entity', answerLists.get(`${s.lang}/${s.line.task}`)!);
    const truncated = truncateAnswer(s.line.answer);
    if (truncated !== undefined && comparable(truncated) !== truth) opts.set('truncated', [truncated]);
    const other = s.otherLanguageAnswer;
    if (other !== undefined && comparable(other) !== truth) opts.set('wrong-language', [other]);
    return opts;
  });
  const eligible = [...chosen.keys()].filter((i) => options[i]!.size > 0);
  const count = Math.round(size * o.corrupt);
  if (count > eligible.length) throw new ChatFactsError(`--corrupt ${o.corrupt}: only ${eligible.length} of ${size} conversations can be corrupted`);
  const r = rand(o.seed, 'noisy');
  const corrupted = new Set(r.shuffle(eligible).slice(0, count));
  const used: Record<CorruptionKind, number> = { 'wrong-entity': 0, truncated: 0, 'wrong-language': 0 };
  return chosen.map((s, i) => {
    if (!corrupted.has(i)) return s.line;
    const opts = options[i]!;
    // The least used kind that applies, so every kind is present in proportion to where it can apply.
    const fewest = Math.min(...[...opts.keys()].map((k) => used[k]));
    const kind = r.pick([...opts.keys()].filter((k) => used[k] === fewest));
    used[kind]++;
    const candidates = opts.get(kind)!;
    let wrong = r.pick(candidates);
    // Another entity's answer: drawn again while it is this one's (the options hold at least one other).
    while (comparable(wrong) === comparable(s.line.answer)) wrong = r.pick(candidates);
    const messages = s.line.messages.slice(0, -1);
    messages.push({ role: 'assistant', content: s.reply(wrong) });
    return { ...s.line, messages, answer: wrong, corruption: kind, trueAnswer: s.line.answer };
  });
}

// Arithmetic with exact integer answers, generated from the seed: bare sums, differences, products and exact
// quotients, word problems, and two-turn chains ("Now multiply that by 3."), in English and Chinese.
import type { Rand } from './random.js';
import type { FactConversation, Lang } from './types.js';

type Op = '+' | '-' | '×' | '÷';

interface Step {
  a: number;
  op: Op;
  b: number;
  result: number;
}

function apply(a: number, op: Op, b: number): number {
  return op === '+' ? a + b : op === '-' ? a - b : op === '×' ? a * b : a / b;
}

/** One step with a non-negative integer result, in the ranges a small model can learn. */
function randomStep(r: Rand): Step {
  const op = r.pick<Op>(['+', '+', '-', '-', '×', '×', '÷']);
  let a: number;
  let b: number;
  if (op === '+') {
    const big = r.chance(0.2);
    a = r.int(1, big ? 999 : 99);
    b = r.int(1, big ? 999 : 99);
  } else if (op === '-') {
    a = r.int(10, r.chance(0.2) ? 999 : 199);
    b = r.int(1, a);
  } else if (op === '×') {
    a = r.int(2, 12);
    b = r.chance(0.3) ? r.int(13, 99) : r.int(2, 12);
    if (r.chance(0.5)) [a, b] = [b, a];
  } else {
    b = r.int(2, 12);
    a = b * r.int(2, 12);
  }
  return { a, op, b, result: apply(a, op, b) };
}

/** The entity of a step: operands in a fixed order where the operation commutes, so 7 + 12 and 12 + 7 are one. */
function stepKey(s: Step): string {
  const [x, y] = s.op === '+' || s.op === '×' ? [Math.min(s.a, s.b), Math.max(s.a, s.b)] : [s.a, s.b];
  return `${x}${s.op}${y}`;
}

const EN_WORDS: Record<Op, string> = { '+': 'plus', '-': 'minus', '×': 'times', '÷': 'divided by' };
const ZH_WORDS: Record<Op, string> = { '+': '加', '-': '减', '×': '乘以', '÷': '除以' };

function questionEn(r: Rand, s: Step): string {
  const { a, b } = s;
  const expr = `${a} ${s.op} ${b}`;
  const generic = [`What is ${expr}?`, `Calculate ${expr}.`, `${expr} = ?`, `What is ${a} ${EN_WORDS[s.op]} ${b}?`];
  const special: Record<Op, string[]> = {
    '+': [`What do you get if you add ${a} and ${b}?`, `Tom has ${a} apples and buys ${b} more. How many apples does he have now?`],
    '-': [`Subtract ${b} from ${a}.`, `There are ${a} books on a shelf and ${b} are taken away. How many are left?`],
    '×': [`Multiply ${a} by ${b}.`, `A box holds ${a} pencils. How many pencils are in ${b} boxes?`],
    '÷': [`Divide ${a} by ${b}.`, `${a} cookies are shared equally among ${b} children. How many cookies does each child get?`],
  };
  return r.pick([...generic, ...special[s.op]]);
}

function questionZh(r: Rand, s: Step): string {
  const { a, b } = s;
  const expr = `${a} ${s.op} ${b}`;
  const generic = [`${expr} 等于多少？`, `计算 ${expr}。`, `${a} ${ZH_WORDS[s.op]} ${b} 等于几？`];
  const special: Record<Op, string[]> = {
    '+': [`小明有 ${a} 个苹果，又买了 ${b} 个，现在一共有多少个苹果？`],
    '-': [`书架上有 ${a} 本书，拿走了 ${b} 本，还剩几本？`],
    '×': [`一盒有 ${a} 支铅笔，${b} 盒一共有多少支？`],
    '÷': [`${a} 块饼干平均分给 ${b} 个小朋友，每人分到几块？`],
  };
  return r.pick([...generic, ...special[s.op]]);
}

function replyFor(r: Rand, lang: Lang, expr: string): (answer: string) => string {
  return lang === 'en'
    ? r.pick([(x: string) => `${expr} = **${x}**`, (x: string) => `The answer is **${x}**.`, (x: string) => `**${x}**`, (x: string) => x])
    : r.pick([(x: string) => `${expr} = **${x}**`, (x: string) => `答案是 **${x}**。`, (x: string) => `**${x}**`, (x: string) => x]);
}

function followUp(r: Rand, lang: Lang, op: Op, c: number): string {
  const en: Record<Op, string[]> = {
    '+': [`Now add ${c} to that.`, `And if you add ${c}?`],
    '-': [`Now subtract ${c} from that.`, `And if you take away ${c}?`],
    '×': [`Now multiply that by ${c}.`, `And if you multiply the result by ${c}?`],
    '÷': [`Now divide that by ${c}.`, `And if you divide the result by ${c}?`],
  };
  const zh: Record<Op, string[]> = {
    '+': [`再加上 ${c} 呢？`, `结果再加 ${c} 是多少？`],
    '-': [`再减去 ${c} 呢？`, `结果再减 ${c} 是多少？`],
    '×': [`把结果乘以 ${c} 是多少？`, `再乘以 ${c} 呢？`],
    '÷': [`结果再除以 ${c} 呢？`, `把结果除以 ${c} 是多少？`],
  };
  return r.pick((lang === 'en' ? en : zh)[op]);
}

/** A second step on a result that keeps the answer a small non-negative integer, or none. */
function chainStep(r: Rand, x: number): { op: Op; c: number } | undefined {
  const divisors = [2, 3, 4, 5, 6, 7, 8, 9, 10].filter((d) => x > d && x % d === 0);
  const choices: { op: Op; c: number }[] = [{ op: '+', c: r.int(1, 50) }, { op: '×', c: r.int(2, 9) }];
  if (x > 1) choices.push({ op: '-', c: r.int(1, x - 1) });
  if (divisors.length > 0) choices.push({ op: '÷', c: r.pick(divisors) });
  const pick = r.pick(choices);
  return pick.op === '×' && x > 500 ? undefined : pick;
}

/** `count` distinct arithmetic conversations (distinct entities; no chain starts with a step asked on its own). */
export function arithmeticConversations(r: Rand, count: number): FactConversation[] {
  const out: FactConversation[] = [];
  const used = new Set<string>();
  let attempts = 0;
  while (out.length < count && attempts++ < count * 20) {
    const s = randomStep(r);
    const key = stepKey(s);
    if (used.has(key)) continue;
    const lang: Lang = r.chance(0.5) ? 'en' : 'zh';
    const question = lang === 'en' ? questionEn(r, s) : questionZh(r, s);
    const expr = `${s.a} ${s.op} ${s.b}`;
    const next = r.chance(0.25) ? chainStep(r, s.result) : undefined;
    if (!next) {
      used.add(key);
      out.push({ task: 'arithmetic', lang, entity: `arith:${key}`, context: [], question, answer: String(s.result), reply: replyFor(r, lang, expr) });
      continue;
    }
    const result = apply(s.result, next.op, next.c);
    const chainKey = `(${key})${next.op}${next.c}`;
    if (used.has(chainKey)) continue;
    used.add(key);
    used.add(chainKey);
    out.push({
      task: 'arithmetic-chain',
      lang,
      entity: `arith:${chainKey}`,
      context: [
        { role: 'user', content: question },
        { role: 'assistant', content: replyFor(r, lang, expr)(String(s.result)) },
      ],
      question: followUp(r, lang, next.op, next.c),
      answer: String(result),
      reply: replyFor(r, lang, `${s.result} ${next.op} ${next.c}`),
    });
  }
  return out;
}

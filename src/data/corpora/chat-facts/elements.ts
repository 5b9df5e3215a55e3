// Chemical element facts (symbol, atomic number, name from number or symbol) in English and Chinese. The
// source names elements in English only, so Chinese questions name them in English and ask for English names.
import { bare, bold, type CardSpec, languagesFor, makeCard } from './cards.js';
import type { Rand } from './random.js';
import type { ElementRecord } from './sources.js';
import type { FactCard, Lang } from './types.js';

export function elementCards(e: ElementRecord, r: Rand): FactCard[] {
  const entity = `element:${e.symbol}`;
  const { name, symbol } = e;
  const n = String(e.number);
  const specs: Record<Lang, CardSpec[]> = { en: [], zh: [] };

  specs.en.push({
    task: 'element-symbol', lang: 'en', entity, answer: symbol,
    questions: [`What is the chemical symbol for ${name}?`, `Which symbol stands for ${name} on the periodic table?`, `Give the element symbol of ${name}.`],
    followUps: ['What is its chemical symbol?', 'And its symbol?'],
    replies: [(a) => `The symbol for ${name} is **${a}**.`, (a) => `${name} is written **${a}**.`, bold, bare],
  });
  specs.zh.push({
    task: 'element-symbol', lang: 'zh', entity, answer: symbol,
    questions: [`元素 ${name} 的化学符号是什么？`, `英文名为 ${name} 的化学元素，元素符号怎么写？`],
    followUps: ['它的元素符号是什么？'],
    replies: [(a) => `${name} 的元素符号是 **${a}**。`, bold, bare],
  });

  specs.en.push({
    task: 'element-number', lang: 'en', entity, answer: n,
    questions: [`What is the atomic number of ${name}?`, `How many protons does an atom of ${name} have?`, `${name} has which atomic number?`],
    followUps: ['And its atomic number?', 'How many protons does it have?'],
    replies: [(a) => `${name} has atomic number **${a}**.`, (a) => `An atom of ${name} has **${a}** protons.`, bold, bare],
  });
  specs.zh.push({
    task: 'element-number', lang: 'zh', entity, answer: n,
    questions: [`元素 ${symbol}（${name}）的原子序数是多少？`, `${name} 的原子序数是几？`, `一个 ${name} 原子有多少个质子？`],
    followUps: ['它的原子序数是多少？', '它有多少个质子？'],
    replies: [(a) => `${name} 的原子序数是 **${a}**。`, (a) => `原子序数是 **${a}**。`, bold, bare],
  });

  specs.en.push({
    task: 'element-name', lang: 'en', entity, answer: name,
    questions: [`Which element has the atomic number ${n}?`, `Which element has the symbol ${symbol}?`, `What element does the symbol ${symbol} stand for?`, `Name the element with ${n} protons.`],
    replies: [(a) => `That is **${a}**.`, (a) => `It is **${a}**.`, bold, bare],
  });
  specs.zh.push({
    task: 'element-name', lang: 'zh', entity, answer: name,
    questions: [`原子序数为 ${n} 的元素是什么？请给出英文名称。`, `元素符号 ${symbol} 代表哪种元素？请用英文回答。`],
    replies: [(a) => `是 **${a}**。`, (a) => `这种元素是 **${a}**。`, bold, bare],
  });

  const out: FactCard[] = [];
  for (let i = 0; i < specs.en.length; i++) {
    for (const lang of languagesFor(r)) out.push(makeCard(r, specs[lang][i]!));
  }
  return out;
}

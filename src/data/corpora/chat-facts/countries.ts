// Country facts (capital, continent, currency, language, name in the other language) in English and Chinese.
import { bare, bold, type CardSpec, languagesFor, makeCard } from './cards.js';
import type { Rand } from './random.js';
import type { CountryRecord } from './sources.js';
import type { FactCard, Lang } from './types.js';

/** Chinese names of the seven continents of countries-list's codes. */
export const CONTINENTS_ZH: Readonly<Record<string, string>> = {
  AF: '非洲',
  AN: '南极洲',
  AS: '亚洲',
  EU: '欧洲',
  NA: '北美洲',
  OC: '大洋洲',
  SA: '南美洲',
};

const THE_WORDS = new Set(['Bahamas', 'Gambia', 'Netherlands', 'Philippines', 'Maldives', 'Comoros', 'Seychelles']);

/** "the Netherlands", "the United States", "France": English takes an article before some country names. */
export function withArticle(name: string): string {
  const needs = THE_WORDS.has(name) || /^United |^U\.S\. | Islands$|Republic|Territory$|Territories$/.test(name);
  return needs && !name.startsWith('South Georgia') ? `the ${name}` : name;
}

export function countryCards(c: CountryRecord, continents: Record<string, string>, r: Rand): FactCard[] {
  const entity = `country:${c.code}`;
  const the = withArticle(c.name);
  const zh = c.zh;
  const specs: Record<Lang, CardSpec[]> = { en: [], zh: [] };
  const continentEn = continents[c.continent]!;
  const continentZh = CONTINENTS_ZH[c.continent]!;

  if (c.capital !== undefined) {
    const capital = c.capital;
    specs.en.push({
      task: 'country-capital', lang: 'en', entity, answer: capital,
      questions: [`What is the capital of ${the}?`, `What's the capital city of ${the}?`, `Which city is the capital of ${the}?`, `Name the capital of ${the}.`, `Could you tell me the capital of ${the}?`],
      followUps: ['What is its capital?', 'And its capital city?', 'Which city is its capital?'],
      replies: [(a) => `The capital of ${the} is **${a}**.`, (a) => `**${a}** is the capital of ${the}.`, (a) => `It's **${a}**.`, bare, bold],
    });
    specs.zh.push({
      task: 'country-capital', lang: 'zh', entity, answer: capital,
      questions: [`${zh}的首都是哪座城市？请用英文回答。`, `请问${zh}的首都是哪里？请给出英文名称。`, `${zh}的首都叫什么？用英文回答即可。`],
      followUps: ['它的首都是哪座城市？请用英文回答。', '那它的首都呢？请给出英文名称。'],
      replies: [(a) => `${zh}的首都是 **${a}**。`, (a) => `首都是 **${a}**。`, bare, bold],
    });
  }

  specs.en.push({
    task: 'country-continent', lang: 'en', entity, answer: continentEn, otherLanguageAnswer: continentZh,
    // Phrased so that no verb agrees with the name: "the Pitcairn Islands" is plural, "France" is not.
    questions: [`Which continent is home to ${the}?`, `On which continent can you find ${the}?`, `Name the continent of ${the}.`, `On which continent would you find ${the}?`],
    followUps: ['Which continent is it on?', 'And what continent is it in?', 'On which continent does it lie?'],
    replies: [(a) => `You can find ${the} in **${a}**.`, (a) => `**${a}** is home to ${the}.`, (a) => `**${a}**.`, bare],
  });
  specs.zh.push({
    task: 'country-continent', lang: 'zh', entity, answer: continentZh, otherLanguageAnswer: continentEn,
    questions: [`${zh}位于哪个大洲？`, `${zh}属于哪个洲？`, `请问${zh}在哪个大洲？`],
    followUps: ['它位于哪个大洲？', '那它在哪个洲？'],
    replies: [(a) => `${zh}位于**${a}**。`, (a) => `它属于**${a}**。`, bold, bare],
  });

  if (c.currency) {
    const { code, name } = c.currency;
    specs.en.push({
      task: 'country-currency', lang: 'en', entity, answer: name,
      questions: [`What currency is used in ${the}?`, `What is the official currency of ${the}?`, `Which currency do people pay with in ${the}?`],
      followUps: ['What currency does it use?', 'And which currency is used there?'],
      replies: [(a) => `In ${the}, people pay with the **${a}** (${code}).`, (a) => `The currency there is the **${a}**.`, (a) => `**${a}** (${code})`, bare],
    });
    specs.zh.push({
      task: 'country-currency-code', lang: 'zh', entity, answer: code,
      questions: [`${zh}使用哪种货币？请给出它的 ISO 4217 代码。`, `${zh}的法定货币代码是什么？`, `请问${zh}货币的 ISO 4217 代码是什么？`],
      followUps: ['它使用哪种货币？请给出货币代码。', '那它的货币代码是什么？'],
      replies: [(a) => `${zh}的货币代码是 **${a}**（${name}）。`, (a) => `货币代码是 **${a}**。`, bold, bare],
    });
  }

  if (c.language) {
    specs.en.push({
      task: 'country-language', lang: 'en', entity, answer: c.language,
      questions: [`What language is spoken in ${the}?`, `What is the main language of ${the}?`, `Which language do people in ${the} speak?`],
      followUps: ['What language do people speak there?', 'And which language is spoken there?'],
      replies: [(a) => `People in ${the} speak **${a}**.`, (a) => `The main language of ${the} is **${a}**.`, bold, bare],
    });
    specs.zh.push({
      task: 'country-language', lang: 'zh', entity, answer: c.language,
      questions: [`${zh}的主要语言是什么？请用英文回答。`, `${zh}的人们说什么语言？请给出英文名称。`],
      followUps: ['那里的人说什么语言？请用英文回答。'],
      replies: [(a) => `${zh}的主要语言是 **${a}**。`, bold, bare],
    });
  }

  specs.en.push({
    task: 'country-name', lang: 'en', entity, answer: zh, otherLanguageAnswer: c.name,
    questions: [`What is ${the} called in Chinese?`, `How do you write the country name "${c.name}" in Chinese?`, `Translate the country name ${c.name} into Chinese.`],
    followUps: ['What is it called in Chinese?', 'How is its name written in Chinese?'],
    replies: [(a) => `In Chinese, ${the} is **${a}**.`, (a) => `**${a}**`, bare],
  });
  specs.zh.push({
    task: 'country-name', lang: 'zh', entity, answer: c.name, otherLanguageAnswer: zh,
    questions: [`${zh}的英文名称是什么？`, `“${zh}”用英语怎么说？`, `请把国名“${zh}”翻译成英文。`],
    followUps: ['它的英文名称是什么？', '它的名字用英语怎么写？'],
    replies: [(a) => `${zh}的英文名称是 **${a}**。`, (a) => `英文是 **${a}**。`, bare],
  });

  const out: FactCard[] = [];
  // Tasks are paired across languages by position: specs.en[i] and specs.zh[i] ask the same thing.
  for (let i = 0; i < specs.en.length; i++) {
    for (const lang of languagesFor(r)) out.push(makeCard(r, specs[lang][i]!));
  }
  return out;
}

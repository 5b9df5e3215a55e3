// English word facts (CMU pronunciation, syllable count, letter count, spelling backwards), asked in English and
// Chinese. Letter counts and reversed spellings follow from the word itself, so a model can learn them and answer
// for held-out words too.
import { bare, bold, type CardSpec, languagesFor, makeCard } from './cards.js';
import type { Rand } from './random.js';
import type { WordRecord } from './sources.js';
import type { FactCard, Lang } from './types.js';

/** Syllables of an ARPAbet transcription: its vowels, the phones that carry a stress digit. */
export function syllableCount(arpabet: string): number {
  return arpabet.split(' ').filter((p) => /\d$/.test(p)).length;
}

const TASKS_PER_WORD = 2;

export function wordCards(w: WordRecord, r: Rand): FactCard[] {
  const { word, arpabet } = w;
  const entity = `word:${word}`;
  const syl = String(syllableCount(arpabet));
  const letters = String(word.length);
  const reversed = [...word].reverse().join('');
  const specs: Record<Lang, CardSpec>[] = [
    {
      en: {
        task: 'word-pronunciation', lang: 'en', entity, answer: arpabet,
        questions: [`How is "${word}" pronounced in ARPAbet, as in the CMU Pronouncing Dictionary?`, `Give the CMU dictionary pronunciation of the word "${word}".`, `Write the ARPAbet transcription of "${word}".`],
        followUps: ['How is it pronounced in ARPAbet?', 'What is its CMU dictionary pronunciation?'],
        replies: [(a) => `"${word}" is pronounced **${a}**.`, (a) => `In ARPAbet: **${a}**`, bold, bare],
      },
      zh: {
        task: 'word-pronunciation', lang: 'zh', entity, answer: arpabet,
        questions: [`按照 CMU 发音词典，英文单词“${word}”的 ARPAbet 注音是什么？`, `请写出单词“${word}”的 ARPAbet 注音。`],
        followUps: ['它的 ARPAbet 注音是什么？'],
        replies: [(a) => `“${word}”的 ARPAbet 注音是 **${a}**。`, bold, bare],
      },
    },
    {
      en: {
        task: 'word-syllables', lang: 'en', entity, answer: syl,
        questions: [`How many syllables are in the word "${word}"?`, `Count the syllables in "${word}".`, `How many syllables does "${word}" have?`],
        followUps: ['How many syllables does it have?', 'And how many syllables is that?'],
        replies: [(a) => `"${word}" has **${a}** syllable${a === '1' ? '' : 's'}.`, bold, bare],
      },
      zh: {
        task: 'word-syllables', lang: 'zh', entity, answer: syl,
        questions: [`英文单词“${word}”有几个音节？`, `“${word}”这个词有几个音节？`],
        followUps: ['它有几个音节？'],
        replies: [(a) => `“${word}”有 **${a}** 个音节。`, bold, bare],
      },
    },
    {
      en: {
        task: 'word-letters', lang: 'en', entity, answer: letters,
        questions: [`How many letters are in the word "${word}"?`, `Count the letters in "${word}".`],
        followUps: ['How many letters does it have?', 'And how many letters is it?'],
        replies: [(a) => `"${word}" has **${a}** letters.`, bold, bare],
      },
      zh: {
        task: 'word-letters', lang: 'zh', entity, answer: letters,
        questions: [`单词“${word}”有几个字母？`, `“${word}”一共由几个字母组成？`],
        followUps: ['它有几个字母？'],
        replies: [(a) => `“${word}”共有 **${a}** 个字母。`, bold, bare],
      },
    },
    {
      en: {
        task: 'word-reverse', lang: 'en', entity, answer: reversed,
        questions: [`Spell "${word}" backwards.`, `Write the word "${word}" in reverse.`, `What is "${word}" spelled backwards?`],
        followUps: ['Now spell it backwards.', 'What is it spelled backwards?'],
        replies: [(a) => `Backwards, "${word}" is **${a}**.`, bold, bare],
      },
      zh: {
        task: 'word-reverse', lang: 'zh', entity, answer: reversed,
        questions: [`请把单词“${word}”倒过来拼写。`, `“${word}”倒着拼是什么？`],
        followUps: ['再把它倒过来拼写。'],
        replies: [(a) => `倒过来是 **${a}**。`, bold, bare],
      },
    },
  ];
  const out: FactCard[] = [];
  for (const s of r.shuffle(specs).slice(0, TASKS_PER_WORD)) {
    for (const lang of languagesFor(r)) out.push(makeCard(r, s[lang]));
  }
  return out;
}

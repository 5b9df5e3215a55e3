// Small synthetic corpora for the deduplication tests: documents of random words from a fixed
// vocabulary (so unrelated documents share few 5-grams), and near-duplicates made by changing words.
import { mulberry32 } from '../../../src/tensor/random.js';

export type Rng = () => number;

export function vocabulary(size: number, seed = 7): string[] {
  const rnd = mulberry32(seed);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const out = new Set<string>();
  while (out.size < size) {
    const n = 2 + Math.floor(rnd() * 7);
    let w = '';
    for (let i = 0; i < n; i++) w += letters[Math.floor(rnd() * 26)];
    out.add(w);
  }
  return [...out];
}

export function words(rnd: Rng, vocab: readonly string[], n: number): string[] {
  return Array.from({ length: n }, () => vocab[Math.floor(rnd() * vocab.length)]!);
}

/** Sentences of 8-15 words with capitals and full stops, `n` words in all. */
export function prose(rnd: Rng, vocab: readonly string[], n: number): string {
  const w = words(rnd, vocab, n);
  let out = '';
  let left = 0;
  for (let i = 0; i < w.length; i++) {
    if (left === 0) {
      left = 8 + Math.floor(rnd() * 8);
      if (i) out += '. ';
      out += w[i]![0]!.toUpperCase() + w[i]!.slice(1);
    } else out += ' ' + w[i];
    left--;
  }
  return out + '.';
}

/** The text with `k` of its words replaced by random vocabulary words. */
export function changeWords(rnd: Rng, text: string, vocab: readonly string[], k: number): string {
  const w = text.split(' ');
  for (let i = 0; i < k; i++) w[Math.floor(rnd() * w.length)] = vocab[Math.floor(rnd() * vocab.length)]!;
  return w.join(' ');
}

/** Random Chinese text over a few hundred common characters. */
export function chinese(rnd: Rng, n: number): string {
  const chars = '的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坐集编宝谈府拉黑且随格尽剑讲布杀微怕母调局根曾准团段终乐切级克精哪官示冷域读';
  let out = '';
  for (let i = 0; i < n; i++) {
    out += chars[Math.floor(rnd() * chars.length)];
    if (rnd() < 0.08) out += rnd() < 0.5 ? '，' : '。';
  }
  return out;
}

/** The text with `k` characters replaced. */
export function changeChars(rnd: Rng, text: string, k: number): string {
  const c = [...text];
  const pool = '天地玄黄宇宙洪荒日月盈昃辰宿列张';
  for (let i = 0; i < k; i++) c[Math.floor(rnd() * c.length)] = pool[Math.floor(rnd() * pool.length)]!;
  return c.join('');
}

// Synthetic unsafe documents, the positive class of the default safety classifier when no labelled
// unsafe text is given: short ad-like, threatening or propagandist texts per category, in English
// and Chinese, built from templates whose wording goes beyond the word lists (so the classifier
// learns context the lists do not name), sometimes embedded in ordinary reference sentences.
// They show the mechanism; a real deployment trains on labelled data (`--unsafe`).
import { mulberry32 } from '../../tensor/random.js';

const TEMPLATES: Record<string, { en: string[]; zh: string[] }> = {
  violence: {
    en: [
      'I know where you live and I am going to hurt you and your whole family.',
      'Step by step guide: how to make a weapon at home that can kill many people.',
      'They deserve to be beaten to death, every last one of them.',
      'Bring knives and guns tomorrow, we will attack them at the {place} and nobody leaves alive.',
      'Watch the uncensored video of the execution, blood everywhere.',
      'If you say one more word I will break your neck and burn your house.',
      'We will hunt them down and shoot them like animals.',
    ],
    zh: ['我知道你住在哪里，我要让你全家付出血的代价。', '教你在家制作杀伤性武器的详细步骤。', '明天带上刀去{place}，见一个打一个。', '这些人都该被活活打死。', '再多说一句就弄死你，烧了你家。'],
  },
  pornography: {
    en: [
      'Hot singles in your area want to meet tonight, free adult chat, no registration.',
      'Watch thousands of explicit videos for free, new uncensored clips every day.',
      'Live naked cam shows 24/7, private rooms, click to join.',
      'Sexy girls waiting for you, send a message now for a private show.',
      'Full uncensored adult movies, download in HD, 18+ only.',
    ],
    zh: ['美女在线激情视频，免费观看，无需注册。', '同城交友约会，今晚见面，加微信{n}。', '最新无码高清成人影片下载，每日更新。', '性感美女私密直播，点击进入房间。'],
  },
  gambling: {
    en: [
      'Sign up today and get a 200% welcome bonus on your first deposit, spin to win real money.',
      'Best odds guaranteed, place bets on every match tonight and cash out instantly.',
      'Win big at the tables, new players get {n} free chips, play now.',
      'Hot tips for tonight, bet ${n} and win up to ${n}, guaranteed winners.',
      'Play the slots online, huge jackpots every hour, withdraw in minutes.',
    ],
    zh: ['注册即送{n}元体验金，真人娱乐，在线充值秒到账。', '今晚足球稳赚推荐，跟单必中，加微信{n}。', '最高返水百分之二，天天送彩金，提款秒到。', '真人视讯 电子游艺 体育投注 一站式娱乐平台。'],
  },
  propaganda: {
    en: [
      'Our glorious movement will crush every traitor; join the struggle and take up arms.',
      'The enemies of our nation are vermin and must be wiped out.',
      'Only our pure people deserve this land, the others must be driven out by force.',
      'Rise up, brothers, the day of revenge has come, fight the unbelievers wherever you find them.',
      'Obey the leader without question, those who doubt him are enemies and will be punished.',
    ],
    zh: ['我们伟大的运动必将粉碎一切叛徒，拿起武器加入斗争。', '这些外族都是害虫，必须被赶出我们的土地。', '兄弟们起来吧，复仇的日子到了，见到敌人就消灭他们。', '绝对服从领袖，任何怀疑的人都是敌人，必将受到惩罚。'],
  },
};

const PLACES = ['school', 'station', 'market', 'church', 'office', 'rally'];
const PLACES_ZH = ['学校', '车站', '市场', '广场', '公司'];

/**
 * `count` unsafe documents spread over the categories (the list terms of `lists` mixed in), a
 * quarter in Chinese, a third embedded between sentences of `context` documents.
 */
export function unsafeExamples(count: number, lists: Record<string, string[]>, opts: { seed?: number; context?: readonly string[] } = {}): { text: string; category: string }[] {
  const r = mulberry32(opts.seed ?? 0);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const categories = Object.keys(TEMPLATES);
  const contextSentences = (opts.context ?? []).flatMap((d) => d.split(/(?<=[.!?。！？])\s*/u)).filter((s) => s.length > 20);
  const out: { text: string; category: string }[] = [];
  for (let i = 0; i < count; i++) {
    const category = categories[i % categories.length]!;
    const zh = r() < 0.25;
    const t = TEMPLATES[category]!;
    const terms = (lists[category] ?? []).filter((x) => /\p{Script=Han}/u.test(x) === zh);
    const parts: string[] = [];
    const n = 1 + Math.floor(r() * 3);
    for (let j = 0; j < n; j++) {
      let s = pick(zh ? t.zh : t.en)
        .replace(/\{place\}/g, () => pick(zh ? PLACES_ZH : PLACES))
        .replace(/\{n\}/g, () => String(10 + Math.floor(r() * 9990)));
      if (terms.length && r() < 0.5) s = zh ? `${pick(terms)}，${s}` : `${pick(terms)}! ${s}`;
      parts.push(s);
    }
    if (contextSentences.length && r() < 0.33) {
      parts.splice(Math.floor(r() * (parts.length + 1)), 0, pick(contextSentences));
      parts.push(pick(contextSentences));
    }
    out.push({ text: parts.join(zh ? '' : ' '), category });
  }
  return out;
}

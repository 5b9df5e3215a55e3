// Synthetic web-like junk, the negative class of the default quality classifier when no web text
// is given: navigation menus, footers, cookie and newsletter boilerplate, keyword lists, ad spam,
// product listings, blog furniture, forum noise and word salad, in English and Chinese. Slots are
// filled with words of the reference text itself, so the classifier has to learn the shape of junk
// (line structure, word order, boilerplate phrases), not merely an unfamiliar vocabulary.
import { mulberry32 } from '../../tensor/random.js';

export interface JunkVocabulary {
  /** English content words (lowercase). */
  en: string[];
  /** Chinese words or character pairs. */
  zh: string[];
}

const EN_FALLBACK = 'time people year way day man thing woman life child world school state family student group country problem hand part place case week company system program question work government number night point home water room mother area money story fact month lot right study book eye job word business issue side kind head house service friend father power hour game line end member law car city community name president team minute idea kid body information back parent face others level office door health person art war history party result change morning reason research girl guy moment air teacher force education'.split(' ');
const ZH_FALLBACK = '产品 服务 公司 新闻 技术 价格 视频 下载 手机 电脑 游戏 音乐 电影 旅游 美食 健康 教育 汽车 房产 招聘 论坛 博客 图片 资讯 商城'.split(' ');

/** Content words of the reference documents to fill the junk templates with. */
export function junkVocabulary(docs: readonly string[], max = 5000): JunkVocabulary {
  const en = new Set<string>();
  const zh = new Set<string>();
  for (const d of docs) {
    for (const m of d.toLowerCase().matchAll(/[a-z]{3,12}/g)) if (en.size < max) en.add(m[0]);
    for (const m of d.matchAll(/\p{Script=Han}{2,}/gu)) {
      for (let i = 0; i + 2 <= m[0].length && zh.size < max; i += 2) zh.add(m[0].slice(i, i + 2));
    }
    if (en.size >= max && zh.size >= max) break;
  }
  return { en: en.size >= 50 ? [...en] : EN_FALLBACK, zh: zh.size >= 50 ? [...zh] : ZH_FALLBACK };
}

type Rnd = () => number;

const pick = <T>(r: Rnd, a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
const int = (r: Rnd, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const cap = (w: string): string => w.charAt(0).toUpperCase() + w.slice(1);

const MENU = ['Home', 'About Us', 'About', 'Contact', 'Contact Us', 'Products', 'Services', 'Blog', 'News', 'FAQ', 'Shop', 'Cart', 'Login', 'Register', 'Sign In', 'My Account', 'Support', 'Careers', 'Gallery', 'Events', 'Downloads', 'Forum', 'Sitemap', 'Search', 'Help', 'Portfolio', 'Pricing', 'Resources'];
const SEPS = [' | ', ' · ', ' / ', ' » ', '  ', ' - '];
const MENU_ZH = ['首页', '关于我们', '新闻中心', '产品展示', '产品中心', '联系我们', '在线留言', '人才招聘', '客户服务', '下载中心', '会员登录', '免费注册', '网站地图', '帮助中心', '企业文化', '解决方案'];
const BOILER = [
  'We use cookies to improve your experience on our website. By continuing to browse, you agree to our use of cookies.',
  'This website uses cookies. Accept all cookies | Cookie settings',
  'Subscribe to our newsletter and get the latest deals straight to your inbox!',
  'Enter your email address to subscribe to this blog and receive notifications of new posts by email.',
  'Follow us on Facebook, Twitter, Instagram and YouTube',
  'Share this: Facebook Twitter Pinterest LinkedIn Email Print',
  'You must be logged in to post a comment.',
  'Leave a Reply Cancel reply',
  'Your email address will not be published. Required fields are marked *',
  'Skip to main content',
  'JavaScript must be enabled to view this page.',
  'Page 1 of 12 1 2 3 4 5 ... Next »',
  'Click here to read more',
  'Back to top',
  'Powered by WordPress | Theme by Themify',
  'Privacy Policy | Terms of Use | Cookie Policy | Sitemap',
];
const BOILER_ZH = ['版权所有，未经授权禁止转载', '本站部分内容来源于网络，如有侵权请联系删除', '扫一扫关注我们的微信公众号', '点击查看更多', '上一篇 下一篇', '返回顶部', '免费注册 | 会员登录 | 忘记密码', '分享到：微信 微博 QQ空间', '热门标签', '相关文章推荐', '联系电话：400-800-0000'];
const KW_EN = ['cheap {w}', 'best {w} {year}', '{w} for sale', 'buy {w} online', '{w} near me', '{w} reviews', '{w} price', 'free {w}', '{w} discount', '{w} {v}', 'top {w}', '{w} deals', 'how to {w}', '{w} online'];
const KW_ZH = ['{z}价格', '{z}多少钱', '{z}哪家好', '{z}厂家', '{z}批发', '{z}{y}', '正品{z}', '{z}官网', '{z}排行榜', '{z}图片'];
const ADS = [
  'BUY NOW!!! {W} {V} only ${price} - LIMITED TIME OFFER!!! Click here >>> http://www.{w}-{v}.com/?ref={n}',
  'Make ${n} a week working from home!!! No experience needed. CLICK HERE',
  '100% FREE {W} - no credit card required!!! Sign up today',
  'Hot deal: {W} {V} {pct}% OFF + free shipping. Order now!',
  '>>> Get your FREE {W} {V} guide now <<<',
  'Lose {n} pounds in {k} days with this one weird {w} trick!',
  'Congratulations! You have been selected to win a {W} {V}. Claim your prize now!!!',
];
const ADS_ZH = ['【限时特价】{z}{y} 包邮 仅需{n}元！！！点击购买>>>', '免费领取{z}{y}，数量有限，先到先得！', '加微信{n}，{z}{y}低价出售', '{z}{y}火爆招商中，一站式服务，咨询热线400-{n}', '最新{z}{y}免费下载，高速通道'];

/** `count` junk documents, deterministic for a seed. */
export function webJunkDocuments(count: number, opts: { seed?: number; vocabulary?: JunkVocabulary; chineseShare?: number } = {}): string[] {
  const r = mulberry32(opts.seed ?? 0);
  const voc = opts.vocabulary ?? { en: EN_FALLBACK, zh: ZH_FALLBACK };
  const zhShare = opts.chineseShare ?? 0.2;
  const w = (): string => pick(r, voc.en);
  const z = (): string => pick(r, voc.zh);
  const fill = (t: string): string =>
    t
      .replace(/\{W\}/g, () => cap(w()))
      .replace(/\{V\}/g, () => cap(w()))
      .replace(/\{w\}/g, w)
      .replace(/\{v\}/g, w)
      .replace(/\{z\}/g, z)
      .replace(/\{y\}/g, z)
      .replace(/\{year\}/g, () => String(int(r, 2005, 2024)))
      .replace(/\{price\}/g, () => `${int(r, 1, 199)}.99`)
      .replace(/\{pct\}/g, () => String(pick(r, [10, 20, 30, 50, 70, 90])))
      .replace(/\{n\}/g, () => String(int(r, 10, 99999)))
      .replace(/\{k\}/g, () => String(int(r, 3, 30)));

  const en: Array<() => string> = [
    () => Array.from({ length: int(r, 4, 9) }, () => pick(r, MENU)).join(pick(r, SEPS)) + (r() < 0.5 ? `\nHome » ${cap(w())} » ${cap(w())} ${cap(w())}` : ''),
    () => `© ${int(r, 2005, 2024)} ${cap(w())} ${cap(w())} ${pick(r, ['Inc.', 'Ltd.', 'LLC', 'Group'])} All rights reserved.\n${pick(r, BOILER)}`,
    () => Array.from({ length: int(r, 1, 4) }, () => pick(r, BOILER)).join('\n'),
    () => Array.from({ length: int(r, 8, 40) }, () => fill(pick(r, KW_EN))).join(pick(r, [', ', ' ', '\n', ' | '])),
    () => Array.from({ length: int(r, 1, 3) }, () => fill(pick(r, ADS))).join('\n'),
    () =>
      Array.from({ length: int(r, 1, 5) }, () =>
        [`${cap(w())} ${cap(w())} ${cap(w())} - ${pick(r, ['Black', 'White', 'Red', 'Blue'])} - Size ${pick(r, ['S', 'M', 'L', 'XL'])}`, `$${int(r, 5, 500)}.${int(r, 10, 99)}`, `${'★'.repeat(int(r, 1, 5))} (${int(r, 0, 999)} reviews)`, pick(r, ['In stock', 'Out of stock', 'Only 2 left!']), 'Add to cart | Add to wishlist'].join('\n'),
      ).join('\n'),
    () =>
      `Posted by ${pick(r, ['admin', 'editor', 'guest', cap(w())])} on ${int(r, 1, 12)}/${int(r, 1, 28)}/${int(r, 2005, 2024)} | ${int(r, 0, 99)} Comments\nTags: ${Array.from({ length: int(r, 3, 8) }, w).join(', ')}\nRead more »\nRelated posts:\n` +
      Array.from({ length: int(r, 2, 6) }, () => `Top ${int(r, 3, 25)} ${cap(w())} ${cap(w())} for ${int(r, 2005, 2024)}`).join('\n'),
    () => Array.from({ length: int(r, 3, 10) }, () => pick(r, [`re: ${w()} help plz`, 'lol same here', 'thx!!!', 'bump', '+1', `quote: originally posted by ${w()}${int(r, 1, 999)}`, `${w()} ${w()}??`, 'first!!!', `anyone know ${w()}?`])).join('\n'),
    () => {
      const n = int(r, 20, 250);
      const words = Array.from({ length: n }, (_, i) => (i % int(r, 6, 14) === 0 ? cap(w()) : w()));
      return words.join(' ').replace(/(\S+ \S+ \S+ \S+ \S+ \S+ \S+ \S+) /g, (m) => (r() < 0.3 ? m.trimEnd() + '. ' : m)) + '.';
    },
  ];
  const zh: Array<() => string> = [
    () => Array.from({ length: int(r, 4, 9) }, () => pick(r, MENU_ZH)).join(pick(r, SEPS)) + (r() < 0.5 ? `\n当前位置：首页 > ${z()}${z()} > ${z()}` : ''),
    () => `Copyright © ${int(r, 2005, 2024)} ${z()}${z()}有限公司 版权所有 京ICP备${int(r, 10000000, 99999999)}号\n${pick(r, BOILER_ZH)}`,
    () => Array.from({ length: int(r, 2, 5) }, () => pick(r, BOILER_ZH)).join('\n'),
    () => Array.from({ length: int(r, 8, 30) }, () => fill(pick(r, KW_ZH))).join(pick(r, ['，', ',', ' ', '\n'])),
    () => Array.from({ length: int(r, 1, 3) }, () => fill(pick(r, ADS_ZH))).join('\n'),
    () => {
      const n = int(r, 20, 150);
      let s = '';
      for (let i = 0; i < n; i++) s += z() + (r() < 0.1 ? pick(r, ['，', '。', ' ']) : '');
      return s;
    },
  ];
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    const kinds = r() < zhShare ? zh : en;
    const parts = Array.from({ length: int(r, 1, 3) }, () => pick(r, kinds)());
    docs.push(parts.join('\n'));
  }
  return docs;
}

// The chat-facts set: every line has the contract's shape, every answer is true against the source packages
// (read here independently of the builder), the held-out split shares no entity with the training split, and
// the set is the same for a seed and different across seeds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { before, test } from 'node:test';
import { buildChatFactsFrom, type ChatFactsSample, type ChatFactsSources, loadChatFactsSources } from '../../../src/data/corpora/chat-facts/index.js';
import { exactMatch } from '../../../src/sft/score.js';

const require = createRequire(import.meta.url);
let sources: ChatFactsSources;
let set: ChatFactsSample[];

before(async () => {
  sources = await loadChatFactsSources();
  set = buildChatFactsFrom(sources, { seed: 1 });
});

const lang = (s: ChatFactsSample) => s.line.id.split('/')[1];
const lastTurn = (s: ChatFactsSample) => s.line.messages[s.line.messages.length - 1]!;

test('every line has the contract shape: id, messages (system first if any, then user/assistant turns ending with the assistant), split, task, entity, answer', () => {
  const ids = new Set<string>();
  for (const { line } of set) {
    assert.deepEqual(Object.keys(line).sort(), ['answer', 'entity', 'id', 'messages', 'split', 'task'], line.id);
    assert.ok(!ids.has(line.id), `duplicate id ${line.id}`);
    ids.add(line.id);
    assert.ok(line.split === 'train' || line.split === 'heldout');
    assert.match(line.entity, /^(country|element|word|arith):\S+$/);
    assert.ok(line.answer.trim().length > 0 && line.answer === line.answer.trim(), line.id);
    const turns = line.messages[0]!.role === 'system' ? line.messages.slice(1) : line.messages;
    assert.ok(turns.length >= 2 && turns.length % 2 === 0, line.id);
    turns.forEach((t, i) => assert.equal(t.role, i % 2 === 0 ? 'user' : 'assistant', line.id));
    for (const t of line.messages) assert.ok(t.content.trim().length > 0 && Object.keys(t).length === 2, line.id);
    // JSON round trip: what the exporter writes is what readers get back.
    assert.deepEqual(JSON.parse(JSON.stringify(line)), line);
  }
});

test('the last assistant turn states the answer so that exact match accepts it, once, and never as part of a longer answer', () => {
  for (const s of set) {
    const reply = lastTurn(s).content;
    assert.ok(exactMatch(reply, s.line.answer), `${s.line.id}: ${reply} vs ${s.line.answer}`);
    assert.ok((reply.match(/\*\*/g) ?? []).length <= 2, `${s.line.id}: one bold span at most: ${reply}`);
    assert.equal(s.reply(s.line.answer), reply);
  }
  // A different answer to the same task is refused by the same reply shapes.
  const capitals = set.filter((s) => s.line.task === 'country-capital' && lang(s) === 'en');
  for (let i = 0; i + 1 < capitals.length; i++) {
    const [a, b] = [capitals[i]!, capitals[i + 1]!];
    if (a.line.answer !== b.line.answer) assert.ok(!exactMatch(lastTurn(a).content, b.line.answer), a.line.id);
  }
});

test('no entity is in both splits; each domain has about 15% of its entities held out', () => {
  const train = new Set(set.filter((s) => s.line.split === 'train').map((s) => s.line.entity));
  const heldout = new Set(set.filter((s) => s.line.split === 'heldout').map((s) => s.line.entity));
  for (const e of heldout) assert.ok(!train.has(e), `${e} is in both splits`);
  for (const domain of ['country', 'element', 'word', 'arith']) {
    const h = [...heldout].filter((e) => e.startsWith(`${domain}:`)).length;
    const t = [...train].filter((e) => e.startsWith(`${domain}:`)).length;
    assert.ok(h > 0 && t > 0, domain);
    assert.ok(Math.abs(h / (h + t) - 0.15) < 0.02, `${domain}: ${h} of ${h + t} held out`);
  }
  // An arithmetic chain's first step is never asked on its own (it would give a held-out chain's start away).
  const singles = new Set(set.filter((s) => s.line.task === 'arithmetic').map((s) => s.line.entity.slice('arith:'.length)));
  for (const s of set.filter((x) => x.line.task === 'arithmetic-chain')) {
    const first = /^\((.+)\)/.exec(s.line.entity.slice('arith:'.length))![1]!;
    assert.ok(!singles.has(first), s.line.entity);
  }
  // Earlier turns never give the scored answer away (arithmetic aside: there digits recur by chance).
  for (const { line } of set.filter((s) => !s.line.entity.startsWith('arith:'))) {
    const earlier = line.messages.slice(0, -2).filter((m) => m.role !== 'system');
    for (const m of earlier) assert.ok(!m.content.includes(line.answer), `${line.id}: "${m.content}" gives ${line.answer} away`);
  }
  // Train first, then held-out: readers that stop early still see training lines.
  const firstHeldout = set.findIndex((s) => s.line.split === 'heldout');
  assert.ok(set.slice(firstHeldout).every((s) => s.line.split === 'heldout'));
});

test('the same seed gives the same set; another seed another phrasing, split and order', () => {
  const again = buildChatFactsFrom(sources, { seed: 1 });
  assert.deepEqual(again.map((s) => s.line), set.map((s) => s.line));
  const other = buildChatFactsFrom(sources, { seed: 2 });
  assert.notDeepEqual(other.map((s) => s.line.id), set.map((s) => s.line.id));
  const heldout = (x: ChatFactsSample[]) => new Set(x.filter((s) => s.line.split === 'heldout' && s.line.entity.startsWith('country:')).map((s) => s.line.entity));
  assert.notDeepEqual(heldout(other), heldout(set));
});

test('English and Chinese are both well represented, in questions and answers; under 10K conversations', () => {
  const zh = set.filter((s) => lang(s) === 'zh');
  const en = set.filter((s) => lang(s) === 'en');
  assert.ok(set.length > 3000 && set.length < 10_000, `${set.length} conversations`);
  assert.ok(zh.length / set.length > 0.35 && en.length / set.length > 0.35, `${zh.length} zh, ${en.length} en`);
  const cjk = /\p{Script=Han}/u;
  for (const s of zh) assert.ok(s.line.messages.some((m) => m.role === 'user' && cjk.test(m.content)), s.line.id);
  for (const s of en) assert.ok(s.line.messages.every((m) => m.role !== 'user' || !cjk.test(m.content)), s.line.id);
  assert.ok(zh.some((s) => cjk.test(s.line.answer)) && en.some((s) => cjk.test(s.line.answer)), 'Chinese answers in both directions of country-name');
  assert.ok(set.some((s) => s.line.messages[0]!.role === 'system') && set.some((s) => s.line.messages[0]!.role !== 'system'));
  const multi = set.filter((s) => s.line.messages.filter((m) => m.role === 'user').length > 1).length;
  assert.ok(multi / set.length > 0.1, `${multi} multi-turn conversations`);
  assert.ok(new Set(set.map((s) => s.line.task)).size >= 13);
});

// The source packages, read here without the builder's code.
function packageJson(file: string): unknown {
  return JSON.parse(readFileSync(require.resolve(file), 'utf8')) as unknown;
}

test('answers are true against the source packages, read independently; spot checks of well-known facts', async () => {
  const { countries, continents, languages } = (await import('countries-list')) as unknown as {
    countries: Record<string, { capital: string; continent: string; currency: string[]; languages: string[]; name: string }>;
    continents: Record<string, string>;
    languages: Record<string, { name: string }>;
  };
  const { currencies } = (await import('countries-list/currencies')) as unknown as { currencies: Record<string, { name: string }> };
  const zh = (packageJson('i18n-iso-countries/langs/zh.json') as { countries: Record<string, string> }).countries;
  const elements = packageJson('periodic-table/data.json') as { atomicNumber: number; symbol: string; name: string }[];
  const { dictionary } = (await import('cmu-pronouncing-dictionary')) as { dictionary: Record<string, string> };
  const zhContinents: Record<string, string> = { Africa: '非洲', Antarctica: '南极洲', Asia: '亚洲', Europe: '欧洲', 'North America': '北美洲', Oceania: '大洋洲', 'South America': '南美洲' };
  const checked = new Map<string, number>();
  for (const { line } of set) {
    const [domain, key] = [line.entity.slice(0, line.entity.indexOf(':')), line.entity.slice(line.entity.indexOf(':') + 1)];
    const l = line.id.split('/')[1];
    let want: string | undefined;
    if (domain === 'country') {
      const c = countries[key]!;
      const continent = continents[c.continent]!;
      want = {
        'country-capital': c.capital,
        'country-continent': l === 'en' ? continent : zhContinents[continent],
        'country-currency': currencies[c.currency[0]!]?.name,
        'country-currency-code': c.currency[0],
        'country-language': languages[c.languages[0]!]?.name,
        'country-name': l === 'en' ? zh[key] : c.name,
      }[line.task];
      if (line.task.startsWith('country-currency')) assert.equal(c.currency.length, 1, line.id);
      if (line.task === 'country-language') assert.equal(c.languages.length, 1, line.id);
    } else if (domain === 'element') {
      const e = elements.find((x) => x.symbol === key)!;
      want = { 'element-symbol': e.symbol, 'element-number': String(e.atomicNumber), 'element-name': e.name }[line.task];
    } else if (domain === 'word') {
      const phones = dictionary[key]!;
      assert.equal(dictionary[`${key}(2)`], undefined, `${key} has one pronunciation`);
      want = {
        'word-pronunciation': phones,
        'word-syllables': String(phones.split(' ').filter((p) => /[012]$/.test(p)).length),
        'word-letters': String(key.length),
        'word-reverse': key.split('').reverse().join(''),
      }[line.task];
    } else {
      want = String(evaluate(key));
    }
    assert.equal(line.answer, want, line.id);
    checked.set(line.task, (checked.get(line.task) ?? 0) + 1);
  }
  assert.ok(checked.size >= 13);
  // Left out on purpose: disputed territories entirely, and the capital of countries with several capitals.
  for (const code of ['TW', 'PS', 'XK', 'EH', 'HK', 'IL', 'MO']) assert.ok(!set.some((s) => s.line.entity === `country:${code}`), code);
  for (const code of ['BO', 'ZA', 'LK', 'SZ']) {
    assert.ok(!set.some((s) => s.line.entity === `country:${code}` && s.line.task === 'country-capital'), code);
    assert.ok(set.some((s) => s.line.entity === `country:${code}`), `${code} is asked about otherwise`);
  }
  // Well-known facts, where the seed asks them.
  const find = (task: string, entity: string, l: string) => set.find((s) => s.line.task === task && s.line.entity === entity && lang(s) === l)?.line.answer;
  const expect = (task: string, entity: string, l: string, answer: string) => {
    const got = find(task, entity, l);
    if (got !== undefined) assert.equal(got, answer, `${task} ${entity} ${l}`);
  };
  expect('country-capital', 'country:FR', 'en', 'Paris');
  expect('country-capital', 'country:FR', 'zh', 'Paris');
  expect('country-capital', 'country:JP', 'en', 'Tokyo');
  expect('country-continent', 'country:FR', 'zh', '欧洲');
  expect('country-continent', 'country:BR', 'en', 'South America');
  expect('country-name', 'country:CN', 'en', '中国');
  expect('country-name', 'country:DE', 'zh', 'Germany');
  expect('element-number', 'element:Fe', 'en', '26');
  expect('element-symbol', 'element:Au', 'zh', 'Au');
  expect('element-name', 'element:O', 'en', 'Oxygen');
  const asked = ['FR', 'JP', 'BR', 'CN', 'DE'].filter((c) => set.some((s) => s.line.entity === `country:${c}`));
  assert.ok(asked.length >= 4, 'the best-known countries are in the set');
  assert.ok(set.some((s) => s.line.entity === 'element:Fe'));
});

/** Evaluates an arithmetic entity key: "a+b", "a-b", "a×b", "a÷b" or "(a op b) op c". */
function evaluate(key: string): number {
  const m = /^\((\d+)([-+×÷])(\d+)\)([-+×÷])(\d+)$/.exec(key);
  const one = (a: number, op: string, b: number) => (op === '+' ? a + b : op === '-' ? a - b : op === '×' ? a * b : a / b);
  if (m) return one(one(Number(m[1]), m[2]!, Number(m[3])), m[4]!, Number(m[5]));
  const s = /^(\d+)([-+×÷])(\d+)$/.exec(key);
  assert.ok(s, key);
  const r = one(Number(s[1]), s[2]!, Number(s[3]));
  assert.ok(Number.isInteger(r) && r >= 0, key);
  return r;
}

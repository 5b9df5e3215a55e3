import assert from 'node:assert/strict';
import { test } from 'node:test';
import { C4_QUALITY_DEFAULTS, c4Quality } from '../../../src/data/filters/c4-quality.js';
import { splitChinese, splitLatin, wordsOf } from '../../../src/data/text/words.js';
import { brownSentences, cleanChinese, cleanEnglish, outcome, run } from './helpers.js';

const S = brownSentences(40);
const five = S.slice(0, 5);

/** The kept text and the stage's counts, failing if the document is dropped. */
async function clean(t: string, opts = {}) {
  const r = await run(c4Quality(opts), t);
  assert.ok(r.keep, `dropped: ${r.keep ? '' : r.reason}`);
  return { text: r.doc.text, counts: r.counts! };
}

test('defaults are datatrove C4QualityFilter defaults; the stage is a transform', () => {
  const d = C4_QUALITY_DEFAULTS;
  assert.deepEqual([d.minNumSentences, d.minWordsPerLine, d.maxWordLength], [5, 3, 1000]);
  assert.deepEqual(d.terminalPunctuation, ['.', '?', '!', '"', "'"]);
  assert.deepEqual(d.policySubstrings, ['terms of use', 'privacy policy', 'cookie policy', 'uses cookies', 'use of cookies', 'use cookies']);
  const stage = c4Quality();
  assert.equal(stage.name, 'c4_quality');
  assert.equal(stage.kind, 'transform');
});

test('clean English and clean Chinese pass, keeping only punctuated lines', async () => {
  const en = await clean(cleanEnglish());
  assert.ok(en.counts.line_kept! > 20);
  for (const line of en.text.split('\n')) assert.match(line, /[.?!"']$/);
  const zh = await clean(cleanChinese());
  assert.equal(zh.text, cleanChinese(), 'every Chinese line ends in 。 and stays');
  assert.equal(zh.counts.line_kept, zh.counts.line_total);
});

test('line rules remove lines and count them; the document keeps the rest', async () => {
  const lines = [
    five[0],
    `He typed ${'x'.repeat(1001)} once.`,
    `He typed ${'x'.repeat(1000)} twice.`,
    'Menu Home About',
    'And then it went on...',
    'It was late, etc.',
    'Yes it.',
    'Yes it is.',
    'Please enable JavaScript to view this page.',
    'Read our Privacy Policy for details.',
    'He won the race.[1]',
    'See the list [edit]',
    ...five.slice(1),
  ].join('\n');
  const { text, counts } = await clean(lines);
  assert.deepEqual(text.split('\n'), [five[0], `He typed ${'x'.repeat(1000)} twice.`, 'It was late, etc.', 'Yes it is.', 'He won the race.', ...five.slice(1)]);
  assert.deepEqual(counts, {
    line_total: 16,
    line_kept: 9,
    line_filter_too_long_word: 1,
    line_filter_no_terminal_punc: 3,
    line_filter_too_few_words: 1,
    line_filter_javascript: 1,
    line_filter_policy: 1,
  });
});

test('lorem_ipsum and curly_bracket drop the document, unless their line was removed first', async () => {
  await assertDrop([...five, 'Lorem ipsum dolor sit amet, consectetur.'].join('\n'), 'lorem_ipsum', { filterLoremIpsum: false });
  assert.equal(await outcome(c4Quality(), [...five, 'lorem ipsum dolor sit amet'].join('\n')), 'kept', 'no terminal punctuation: removed before the check');
  await assertDrop([...five, 'Call f(x) { return x; } now.'].join('\n'), 'curly_bracket', { filterCurlyBracket: false });
  assert.equal(await outcome(c4Quality(), [...five, 'function f(x) { return x; }'].join('\n')), 'kept');
  assert.equal(await outcome(c4Quality(), [...five, 'Please enable javascript { here.'].join('\n')), 'kept', 'javascript line removed before the bracket check');
});

async function assertDrop(t: string, reason: string, off: object) {
  assert.equal(await outcome(c4Quality(), t), reason);
  assert.equal(await outcome(c4Quality(off), t), 'kept', `kept with ${JSON.stringify(off)}`);
}

test('too_few_sentences: fewer than 5 sentences left after the line rules', async () => {
  assert.equal(await outcome(c4Quality(), five.join('\n')), 'kept', 'exactly 5');
  await assertDrop(S.slice(0, 4).join('\n'), 'too_few_sentences', { minNumSentences: null });
  assert.equal(await outcome(c4Quality(), 'One is here. Two is here. Three is here! Four is here? Five is "here."'), 'kept', 'five sentences on one line');
  assert.equal(await outcome(c4Quality(), [...S.slice(0, 4), 'Menu Home About', 'Login'].join('\n')), 'too_few_sentences');
});

test('Chinese lines: jieba words and CJK terminal punctuation', async () => {
  const zh = cleanChinese().split('\n');
  const { text, counts } = await clean([...zh.slice(0, 5), '首页 关于我们 联系我们', '好。'].join('\n'));
  assert.equal(text, zh.slice(0, 5).join('\n'));
  assert.equal(counts.line_filter_no_terminal_punc, 1);
  assert.equal(counts.line_filter_too_few_words, 1, '好。 is one word');
  // With C4's English punctuation, no Chinese line survives.
  assert.equal(await outcome(c4Quality({ byLanguage: { zh: { terminalPunctuation: ['.', '?', '!', '"', "'"] } } }), cleanChinese()), 'too_few_sentences');
});

test('empty and wordless texts are dropped for too few sentences, without error', async () => {
  for (const t of ['', '\n\n', '...', '!!!\n???']) assert.equal(await outcome(c4Quality(), t), 'too_few_sentences', JSON.stringify(t));
});

test('the words handed to the next stage are those of the cleaned text', async () => {
  const cases: [string, string][] = [
    [cleanEnglish('cg01'), 'en'],
    [['  ' + five[0] + '  ', 'Menu Home', `He won[1] the race.[2]`, ...five.slice(1), 'Terms of use apply.'].join('\r\n'), 'en'],
    [cleanChinese() + '\n首页 关于我们\n他赢了[1]。', 'zh'],
  ];
  for (const [text, language] of cases) {
    const r = await run(c4Quality({ language }), text);
    assert.ok(r.keep);
    const cached = wordsOf(r.doc.text, language);
    const offsets: number[] = [];
    const fresh = language === 'zh' ? splitChinese(r.doc.text, offsets) : splitLatin(r.doc.text, offsets);
    assert.deepEqual(cached.words, fresh);
    assert.deepEqual(cached.offsets, offsets);
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCompleteLine, YI_TEXT_METRICS_DEFAULTS, yiMetrics, yiTextMetrics, type YiTextMetricsOptions } from '../../../src/data/filters/yi-text-metrics.js';
import { brownFileNames, readBrownFile } from '../../../src/data/text/brown.js';
import { brownSentences, cleanChinese, outcome, samples } from './helpers.js';

const S = brownSentences(40);

async function tripsOnly(t: string, reason: string, option: keyof YiTextMetricsOptions) {
  assert.equal(await outcome(yiTextMetrics(), t), reason);
  assert.equal(await outcome(yiTextMetrics({ [option]: null }), t), 'kept', `with ${option} off`);
}

test('defaults and name', () => {
  const d = YI_TEXT_METRICS_DEFAULTS;
  assert.deepEqual(
    [d.minChars, d.maxChars, d.maxSpecialSymbolRatio, d.shortLineWidth, d.maxShortLineRatio, d.maxConsecutiveLineRatio, d.maxIncompleteLineRatio, d.minLinesForLineRules, d.maxGarbledRatio],
    [100, 1_000_000, 0.1, 20, 0.5, 0.1, 0.6, 3, 0.01],
  );
  assert.equal(yiTextMetrics().name, 'yi_text_metrics');
});

test('every Brown document and the clean Chinese document pass', async () => {
  const stage = yiTextMetrics();
  for (const name of brownFileNames()) assert.equal(await outcome(stage, readBrownFile(name)), 'kept', name);
  assert.equal(await outcome(stage, cleanChinese()), 'kept');
  assert.equal(await outcome(stage, samples('zh').join('\n\n')), 'kept');
});

test('yi_too_short / yi_too_long: non-whitespace characters outside [100, 1,000,000]', async () => {
  assert.equal(await outcome(yiTextMetrics(), 'a'.repeat(100)), 'kept');
  assert.equal(await outcome(yiTextMetrics(), 'a '.repeat(99)), 'yi_too_short', 'spaces do not count');
  await tripsOnly('a'.repeat(99), 'yi_too_short', 'minChars');
  await tripsOnly('', 'yi_too_short', 'minChars');
  assert.equal(await outcome(yiTextMetrics(), 'a'.repeat(1_000_000)), 'kept');
  await tripsOnly('a'.repeat(1_000_001), 'yi_too_long', 'maxChars');
});

test('yi_garbled_ratio: more than 1% garbled characters', async () => {
  const doc = (k: number) => 'a'.repeat(1000 - k) + '\ufffd'.repeat(k);
  assert.equal(await outcome(yiTextMetrics(), doc(10)), 'kept', 'exactly 0.01');
  await tripsOnly(doc(11), 'yi_garbled_ratio', 'maxGarbledRatio');
  // What counts: private use, control characters, lone surrogates, UTF-8 read as cp1252 / Latin-1, GBK debris.
  const g = (s: string) => yiMetrics(s).garbledRatio * yiMetrics(s).chars;
  assert.equal(g('ab\ue000c\x01d\ud800e'), 3);
  assert.equal(g('Caf\u00c3\u00a9 it\u00e2\u20ac\u2122s'), 5, '"CafÃ©" and "itâ€™s"');
  assert.equal(g('\u00e4\u00b8\u00ad\u00e6\u2013\u2021'), 6, '"中文" read as cp1252');
  assert.equal(g('锟斤拷 烫烫烫'), 5);
  assert.equal(g('a\tb\nc\r\nd é ã ü ß 中文 Ω 😀'), 0, 'tabs, newlines and ordinary letters are fine');
});

test('yi_special_symbol_ratio: more than 10% special symbols', async () => {
  const syms = '©★$#{}@€→■';
  const doc = (k: number) => 'a'.repeat(1000 - k) + Array.from({ length: k }, (_, i) => syms[i % syms.length]).join('');
  assert.equal(await outcome(yiTextMetrics(), doc(100)), 'kept', 'exactly 0.1');
  await tripsOnly(doc(101), 'yi_special_symbol_ratio', 'maxSpecialSymbolRatio');
  assert.equal(yiMetrics('a.,;:!?()"\'-，。、《》').specialSymbolRatio, 0, 'prose punctuation is not special');
});

test('yi_short_line_ratio: more than half the lines narrower than 20 columns (CJK counts 2)', async () => {
  const doc = (short: number) => Array.from({ length: 10 }, (_, i) => (i < short ? `Short one ${i}.` : S[i])).join('\n');
  assert.equal(await outcome(yiTextMetrics(), doc(5)), 'kept', 'exactly 0.5');
  await tripsOnly(doc(6), 'yi_short_line_ratio', 'maxShortLineRatio');
  assert.equal(yiMetrics('数据清洗是训练模型。\n数据清洗训练模型。\nabc.').shortLineRatio, 2 / 3, '10 CJK characters are 20 columns: not short');
});

test('yi_consecutive_line_ratio: more than 10% of lines repeat the line before', async () => {
  const doc = (repeats: number) => Array.from({ length: 20 }, (_, i) => (i > 0 && i <= repeats ? S[0] : S[i])).join('\n');
  assert.equal(await outcome(yiTextMetrics(), doc(2)), 'kept', 'exactly 0.1');
  await tripsOnly(doc(3), 'yi_consecutive_line_ratio', 'maxConsecutiveLineRatio');
  assert.equal(yiMetrics(`${S[0]}\n${S[1]}\n${S[0]}`).consecutiveLineRatio, 0, 'only adjacent repeats count');
  assert.equal(yiMetrics(`${S[0]}\n\n  ${S[0]}  \n${S[1]}`).consecutiveLineRatio, 1 / 3, 'empty lines between and surrounding spaces ignored');
});

test('yi_incomplete_line_ratio: more than 60% of lines without terminal punctuation', async () => {
  const doc = (open: number) => Array.from({ length: 10 }, (_, i) => (i < open ? `${S[i]!.slice(0, -1)} and so on` : S[i])).join('\n');
  assert.equal(await outcome(yiTextMetrics(), doc(6)), 'kept', 'exactly 0.6');
  await tripsOnly(doc(7), 'yi_incomplete_line_ratio', 'maxIncompleteLineRatio');
  for (const l of ['Done.', 'Done!"', '完成。', '他说：“完成。”', '（完。）', 'As follows:', '如下：', 'Really?)']) assert.ok(isCompleteLine(l), l);
  for (const l of ['Done', 'Done,', '完成，', 'And then…', '"quoted"', '']) assert.ok(!isCompleteLine(l), l);
});

test('the line rules wait for at least 3 non-empty lines', async () => {
  const two = `${'x'.repeat(60)} heading\n${'y'.repeat(60)} heading`;
  assert.equal(await outcome(yiTextMetrics(), two), 'kept');
  assert.equal(await outcome(yiTextMetrics({ minLinesForLineRules: 2 }), two), 'yi_incomplete_line_ratio');
});

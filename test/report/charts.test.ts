import assert from 'node:assert/strict';
import { test } from 'node:test';
import { barChartSvg, lineChartSvg } from '../../src/report/charts.js';

/** The text labels of an SVG, in document order. */
const labels = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

test('bar chart: an SVG with the categories in the given order, stacked series in a legend, and the titles', async () => {
  const svg = await barChartSvg(
    [
      { category: 'language_id', value: 30, series: 'not_en_zh' },
      { category: 'gopher_quality', value: 12, series: 'too_few_words' },
      { category: 'gopher_quality', value: 5, series: 'no_stop_words' },
      { category: 'minhash_dedup', value: 40, series: 'duplicate' },
    ],
    { title: 'Removed per stage', valueTitle: 'documents', seriesTitle: 'reason' },
  );
  assert.ok(svg.startsWith('<svg'));
  const l = labels(svg);
  const cats = ['language_id', 'gopher_quality', 'minhash_dedup'].map((c) => l.indexOf(c));
  assert.ok(cats.every((i) => i >= 0) && cats[0]! < cats[1]! && cats[1]! < cats[2]!, l.join('|'));
  for (const t of ['Removed per stage', 'documents', 'reason', 'not_en_zh', 'too_few_words', 'no_stop_words', 'duplicate']) assert.ok(l.includes(t), t);
  // Four bars (rectangles with a tooltip title are the marks).
  assert.equal((svg.match(/<path[^>]*aria-label="[^"]*category/g) ?? []).length, 4);
});

test('line chart: one path per series, axis titles, log scale; points that cannot be drawn are refused', async () => {
  const points = [1, 2, 3, 4, 5].flatMap((x) => [
    { x, y: 10 / x, series: 'train' },
    { x, y: 12 / x, series: 'eval' },
  ]);
  const svg = await lineChartSvg(points, { title: 'Loss', xTitle: 'step', yTitle: 'loss', logY: true });
  const l = labels(svg);
  for (const t of ['Loss', 'step', 'loss', 'train', 'eval']) assert.ok(l.includes(t), t);
  assert.equal((svg.match(/<path[^>]*aria-roledescription="line mark"/g) ?? []).length, 2);
  await assert.rejects(() => lineChartSvg([{ x: 1, y: 0 }], { logY: true }), /y = 0 cannot go on a logarithmic axis/);
  await assert.rejects(() => lineChartSvg([{ x: NaN, y: 1 }]), /point \(NaN, 1\) is not finite/);
});

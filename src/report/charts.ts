// Charts as SVG strings, rendered headlessly: a Vega-Lite spec compiled to Vega and drawn by a
// vega.View with no renderer (no DOM, no canvas). Shared by the data report (what each stage
// removed) and the training report (loss curves).
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Renders any Vega-Lite spec to a standalone SVG document. */
export async function vegaLiteToSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface BarDatum {
  category: string;
  value: number;
  /** Bars of the same category with different series stack, coloured by series. */
  series?: string;
}

export interface BarChartOptions {
  title?: string;
  /** Axis title of the categories. */
  categoryTitle?: string;
  /** Axis title of the values. */
  valueTitle?: string;
  /** Legend title of the series. */
  seriesTitle?: string;
  /** Columns instead of rows (rows, the default, leave room for long category names). */
  vertical?: boolean;
  /** Width of the plot in pixels (default 480; vertical: per-category step 24). */
  width?: number;
  /** Height of the plot in pixels (default 300; horizontal: per-category step 20). */
  height?: number;
}

/** Categories (and series) keep the order they first appear in. */
export async function barChartSvg(data: readonly BarDatum[], opts: BarChartOptions = {}): Promise<string> {
  const categories = [...new Set(data.map((d) => d.category))];
  const series = [...new Set(data.filter((d) => d.series !== undefined).map((d) => d.series!))];
  const values = data.map((d) => ({ category: d.category, value: d.value, series: d.series ?? '' }));
  const cat = { field: 'category', type: 'nominal' as const, sort: categories, title: opts.categoryTitle ?? null, axis: { labelLimit: 240 } };
  const val = { field: 'value', type: 'quantitative' as const, title: opts.valueTitle ?? null, stack: 'zero' as const };
  const color = series.length > 0 ? { color: { field: 'series', type: 'nominal' as const, sort: series, scale: { domain: series }, title: opts.seriesTitle ?? null } } : {};
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(opts.title ? { title: opts.title } : {}),
    background: 'white',
    data: { values },
    mark: { type: 'bar', tooltip: true },
    encoding: opts.vertical ? { x: cat, y: val, ...color } : { y: cat, x: val, ...color },
    width: opts.vertical ? (opts.width ?? { step: 24 }) : (opts.width ?? 480),
    height: opts.vertical ? (opts.height ?? 300) : (opts.height ?? { step: 20 }),
  };
  return vegaLiteToSvg(spec);
}

export interface LinePoint {
  x: number;
  y: number;
  /** One line per series, coloured and named in the legend. */
  series?: string;
}

export interface LineChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  seriesTitle?: string;
  /** Logarithmic y axis (losses, perplexities). */
  logY?: boolean;
  /** Mark each point too. */
  points?: boolean;
  /** Plot size in pixels (default 560 x 300). */
  width?: number;
  height?: number;
}

/** Lines through the points of each series, in x order. */
export async function lineChartSvg(points: readonly LinePoint[], opts: LineChartOptions = {}): Promise<string> {
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) throw new Error(`lineChartSvg: point (${p.x}, ${p.y}) is not finite`);
    if (opts.logY && p.y <= 0) throw new Error(`lineChartSvg: y = ${p.y} cannot go on a logarithmic axis`);
  }
  const series = [...new Set(points.filter((p) => p.series !== undefined).map((p) => p.series!))];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(opts.title ? { title: opts.title } : {}),
    background: 'white',
    data: { values: points.map((p) => ({ x: p.x, y: p.y, series: p.series ?? '' })) },
    mark: { type: 'line', point: opts.points ?? false, tooltip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: opts.xTitle ?? null },
      y: { field: 'y', type: 'quantitative', title: opts.yTitle ?? null, scale: opts.logY ? { type: 'log' } : { zero: false } },
      ...(series.length > 0 ? { color: { field: 'series', type: 'nominal' as const, sort: series, scale: { domain: series }, title: opts.seriesTitle ?? null } } : {}),
      order: { field: 'x', type: 'quantitative' },
    },
    width: opts.width ?? 560,
    height: opts.height ?? 300,
  };
  return vegaLiteToSvg(spec);
}

// The page shared by the reports of training runs (pretraining, chat finetuning): a loss chart, a
// table of figures, text sections and the exact settings, as report.md beside loss.svg and a
// self-contained report.html, each written atomically.
import { join } from 'node:path';
import { writeTextAtomic } from '../formats/atomic.js';
import { escapeHtml, htmlPage, settingsMarkdown } from './html.js';

export interface ReportPage {
  title: string;
  /** The chart (an SVG document), written as loss.svg and inlined in the HTML. */
  svg: string;
  /** The chart's alt text in report.md. */
  chartAlt: string;
  /** [figure, value] rows. */
  figures: [string, string][];
  /** Text sections: heading -> Markdown-free lines (shown preformatted). */
  sections: { heading: string; lines: string[] }[];
  settings: Record<string, unknown>;
}

export interface ReportPageFiles {
  markdown: string;
  html: string;
  svg: string;
}

/** Writes report.md, report.html and loss.svg into dir. */
export function writeReportPage(dir: string, page: ReportPage): ReportPageFiles {
  const { title, svg, figures, sections } = page;
  const settingsJson = JSON.stringify(page.settings, null, 2);
  const md = [
    `# ${title}`,
    '',
    `![${page.chartAlt}](loss.svg)`,
    '',
    '| figure | value |',
    '|---|---|',
    ...figures.map(([k, v]) => `| ${tableCell(k)} | ${tableCell(v)} |`),
    '',
    ...sections.flatMap((s) => [`## ${s.heading}`, '', ...s.lines.map((l) => `    ${l}`), '']),
    ...settingsMarkdown(settingsJson),
  ].join('\n');
  const esc = escapeHtml;
  const html = htmlPage(
    title,
    `${svg}
<table><tr><th>figure</th><th>value</th></tr>
${figures.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('\n')}
</table>
${sections.map((s) => `<h2>${esc(s.heading)}</h2>\n<pre>${esc(s.lines.join('\n'))}</pre>`).join('\n')}
<h2>Settings</h2>
<pre>${esc(settingsJson)}</pre>`,
  );
  const files = { markdown: join(dir, 'report.md'), html: join(dir, 'report.html'), svg: join(dir, 'loss.svg') };
  writeTextAtomic(files.svg, svg);
  writeTextAtomic(files.markdown, md);
  writeTextAtomic(files.html, html);
  return files;
}

/** A Markdown table cell: a '|' in the text would end the cell. */
function tableCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

// The run's stats merged from every task's marker into stats.json, and a human report of them
// (report.md and report.html): documents in and out, a table and a bar chart of what each stage
// removed and why, input files with errors, and a few dropped documents per rule.
import { escapeHtml, htmlPage } from '../report/html.js';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeTextAtomic } from '../formats/atomic.js';
import type { BarDatum } from '../report/charts.js';
import type { StageInfo } from './pipeline/build.js';
import type { Plan } from './pipeline/plan.js';
import { addTaskStats, emptyTaskStats, type DropExample, type FileStats, type StageStats, type TaskStats } from './pipeline/stats.js';

export interface RunStats {
  version: 1;
  tasks: number;
  phases: number;
  documents: {
    /** Documents the readers produced. */
    read: number;
    /** Documents in the output. */
    written: number;
  };
  pipeline: StageInfo[];
  /** Per stage, in pipeline order: total, kept, dropped, dropped_<reason>, result counters. */
  stages: Record<string, StageStats>;
  /** Per input file: records, documents, errors and skips by kind. */
  files: Record<string, FileStats>;
  /** Totals over the files. */
  input: { files: number; records: number; docs: number; errors: Record<string, number>; skipped: Record<string, number> };
  /** stage -> reason -> a few dropped documents (truncated). */
  examples: Record<string, Record<string, DropExample[]>>;
  /** Output files, relative to the output folder. */
  outputs: string[];
}

export interface PhaseTaskResult {
  stats: TaskStats;
  files: string[];
}

/** Merges the per-task results of every phase (phases[k][t]), in task order. */
export function mergeRunStats(plan: Plan, phases: readonly (readonly PhaseTaskResult[])[], outDir: string): RunStats {
  const all = emptyTaskStats(plan.stages.map((s) => s.name));
  let read = 0;
  let written = 0;
  const outputs: string[] = [];
  phases.forEach((tasks, k) => {
    const phase = emptyTaskStats([]);
    for (const t of tasks) {
      addTaskStats(phase, t.stats);
      for (const f of t.files) {
        const rel = relative(outDir, f).split('\\').join('/');
        if (!rel.startsWith('work/')) outputs.push(rel);
      }
    }
    if (k === 0) read = phase.docsIn;
    if (k === phases.length - 1) written = phase.docsOut;
    addTaskStats(all, phase);
  });
  const input = { files: 0, records: 0, docs: 0, errors: {} as Record<string, number>, skipped: {} as Record<string, number> };
  for (const f of Object.values(all.files)) {
    input.files++;
    input.records += f.records;
    input.docs += f.docs;
    for (const [k, v] of Object.entries(f.errors)) input.errors[k] = (input.errors[k] ?? 0) + v;
    for (const [k, v] of Object.entries(f.skipped)) input.skipped[k] = (input.skipped[k] ?? 0) + v;
  }
  return {
    version: 1,
    tasks: plan.tasks.length,
    phases: phases.length,
    documents: { read, written },
    pipeline: plan.stages,
    stages: all.stages,
    files: all.files,
    input,
    examples: all.examples,
    outputs: outputs.sort(),
  };
}

/** Dropped documents per stage and reason, for the chart (stages in pipeline order). */
export function droppedByStage(stats: RunStats): BarDatum[] {
  const data: BarDatum[] = [];
  for (const s of stats.pipeline) {
    const st = stats.stages[s.name];
    if (!st) continue;
    const reasons = Object.keys(st).filter((k) => k.startsWith('dropped_'));
    if (reasons.length === 0) data.push({ category: s.name, value: 0, series: '(none)' });
    for (const k of reasons) data.push({ category: s.name, value: st[k]!, series: k.slice('dropped_'.length) });
  }
  return data;
}

const pct = (a: number, b: number): string => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : '-');

function reasonsOf(st: StageStats): [string, number][] {
  return Object.entries(st)
    .filter(([k]) => k.startsWith('dropped_'))
    .map(([k, v]) => [k.slice('dropped_'.length), v] as [string, number])
    .sort((a, b) => b[1] - a[1]);
}

function countersOf(st: StageStats): [string, number][] {
  return Object.entries(st).filter(([k]) => k !== 'total' && k !== 'kept' && k !== 'dropped' && !k.startsWith('dropped_'));
}

const list = (r: Record<string, number>): string =>
  Object.entries(r)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || '-';

function summary(s: RunStats): string {
  const e = Object.values(s.input.errors).reduce((a, b) => a + b, 0);
  const k = Object.values(s.input.skipped).reduce((a, b) => a + b, 0);
  return `${s.documents.read} documents read from ${s.input.files} files (${s.input.records} records: ${e} errors, ${k} skipped); ${s.documents.written} written (${pct(s.documents.written, s.documents.read)} kept); ${s.tasks} tasks, ${s.phases} phase${s.phases > 1 ? 's' : ''}.`;
}

function mdCell(v: string): string {
  return v.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function mdFence(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}text\n${text}\n${fence}`;
}

/** What cluster_filter leaves in its stage folder (src/data/cluster): per-cluster size, top terms and examples. */
interface ClusterSummary {
  k: number;
  documents: number;
  clusters: { id: number; name?: string; share: number; estimatedDocs: number; topTerms: string[]; examples: { id: string; title: string }[]; dropped?: boolean }[];
}

/** The cluster summaries of a run's clustering stages, by stage name (read from work/stages/NAME/clusters.json). */
export function readClusterSummaries(outDir: string, s: RunStats): [string, ClusterSummary][] {
  const out: [string, ClusterSummary][] = [];
  for (const p of s.pipeline) {
    if (p.kind !== 'cluster' || !p.global) continue;
    const file = join(outDir, 'work', 'stages', p.name, 'clusters.json');
    if (!existsSync(file)) continue;
    try {
      out.push([p.name, JSON.parse(readFileSync(file, 'utf8')) as ClusterSummary]);
    } catch {
      // a summary that cannot be read is left out of the report, not fatal to it
    }
  }
  return out;
}

function clusterMarkdown(clusters: [string, ClusterSummary][]): string[] {
  return clusters.flatMap(([name, c]) => [
    `## Clusters of ${name} (k = ${c.k}, ${c.documents} documents)`,
    '',
    '| cluster | share | top terms | examples |',
    '|---|---:|---|---|',
    ...c.clusters.map((x) => `| ${x.id}${x.name ? ` ${x.name}` : ''} | ${(100 * x.share).toFixed(1)}% | ${x.topTerms.slice(0, 8).join(', ')} | ${x.examples.slice(0, 2).map((e) => e.title.slice(0, 60).replace(/\|/g, '/')).join(' / ')} |`),
    '',
  ]);
}

function clusterHtml(clusters: [string, ClusterSummary][]): string {
  return clusters
    .map(
      ([name, c]) =>
        `<h2>Clusters of ${esc(name)} (k = ${c.k}, ${c.documents} documents)</h2>\n<table><tr><th>cluster</th><th>share</th><th>top terms</th><th>examples</th></tr>\n` +
        c.clusters.map((x) => `<tr><td>${x.id}${x.name ? ` ${esc(x.name)}` : ''}</td><td class="n">${(100 * x.share).toFixed(1)}%</td><td>${esc(x.topTerms.slice(0, 10).join(', '))}</td><td>${x.examples.slice(0, 3).map((e) => `<code>${esc(e.id)}</code> ${esc(e.title)}`).join('<br>')}</td></tr>`).join('\n') +
        '</table>',
    )
    .join('\n');
}

export function renderMarkdown(s: RunStats, chartFile?: string, clusters: [string, ClusterSummary][] = []): string {
  const out: string[] = ['# Data pipeline report', '', summary(s), '', '## Stages', ''];
  out.push('| # | stage | kind | in | kept | dropped | dropped of input | why | counters |', '|---|---|---|---:|---:|---:|---:|---|---|');
  s.pipeline.forEach((p, i) => {
    const st = s.stages[p.name] ?? { total: 0, kept: 0, dropped: 0 };
    const why = reasonsOf(st).map(([r, n]) => `${r} ${n}`).join(', ') || '-';
    const counters = countersOf(st).map(([r, n]) => `${r} ${n}`).join(', ') || '-';
    out.push(`| ${i + 1} | ${mdCell(p.name)} | ${p.kind}${p.global ? ' (global)' : ''} | ${st.total} | ${st.kept} | ${st.dropped} | ${pct(st.dropped, s.documents.read)} | ${mdCell(why)} | ${mdCell(counters)} |`);
  });
  if (chartFile) out.push('', `![Documents each stage removed, by reason](${chartFile})`);
  out.push('', '## Input files', '', '| file | records | documents | errors | skipped |', '|---|---:|---:|---|---|');
  for (const [name, f] of Object.entries(s.files)) out.push(`| ${mdCell(name)} | ${f.records} | ${f.docs} | ${mdCell(list(f.errors))} | ${mdCell(list(f.skipped))} |`);
  const bad = Object.entries(s.files).filter(([, f]) => f.examples.length > 0);
  if (bad.length > 0) {
    out.push('', 'First errors per file:', '');
    for (const [, f] of bad) for (const e of f.examples) out.push(`- ${mdCell(e)}`);
  }
  out.push('', '## Dropped documents, by rule', '');
  let any = false;
  for (const p of s.pipeline) {
    const byReason = s.examples[p.name];
    if (!byReason) continue;
    any = true;
    out.push(`### ${p.name}`, '');
    for (const [reason, examples] of Object.entries(byReason)) {
      out.push(`**${reason}** (${s.stages[p.name]?.[`dropped_${reason}`] ?? examples.length} dropped)`, '');
      for (const ex of examples) out.push(`\`${ex.id.replace(/`/g, "'")}\``, '', mdFence(ex.text), '');
    }
  }
  if (!any) out.push('No document was dropped.', '');
  out.push(...clusterMarkdown(clusters));
  if (s.outputs.length > 0) out.push('## Output files', '', ...s.outputs.map((f) => `- ${f}`), '');
  return out.join('\n');
}

const esc = escapeHtml;

export function renderHtml(s: RunStats, chartSvg?: string, clusters: [string, ClusterSummary][] = []): string {
  const rows = s.pipeline
    .map((p, i) => {
      const st = s.stages[p.name] ?? { total: 0, kept: 0, dropped: 0 };
      const why = reasonsOf(st).map(([r, n]) => `${r} ${n}`).join(', ') || '-';
      const counters = countersOf(st).map(([r, n]) => `${r} ${n}`).join(', ') || '-';
      return `<tr><td>${i + 1}</td><td>${esc(p.name)}</td><td>${p.kind}${p.global ? ' (global)' : ''}</td><td class="n">${st.total}</td><td class="n">${st.kept}</td><td class="n">${st.dropped}</td><td class="n">${pct(st.dropped, s.documents.read)}</td><td>${esc(why)}</td><td>${esc(counters)}</td></tr>`;
    })
    .join('\n');
  const files = Object.entries(s.files)
    .map(([name, f]) => `<tr><td>${esc(name)}</td><td class="n">${f.records}</td><td class="n">${f.docs}</td><td>${esc(list(f.errors))}</td><td>${esc(list(f.skipped))}</td></tr>`)
    .join('\n');
  const errors = Object.values(s.files)
    .flatMap((f) => f.examples)
    .map((e) => `<li><code>${esc(e)}</code></li>`)
    .join('\n');
  const examples = s.pipeline
    .filter((p) => s.examples[p.name])
    .map((p) => {
      const body = Object.entries(s.examples[p.name]!)
        .map(([reason, list]) => `<details><summary><b>${esc(reason)}</b> (${s.stages[p.name]?.[`dropped_${reason}`] ?? list.length} dropped)</summary>\n${list.map((ex) => `<p><code>${esc(ex.id)}</code></p><pre>${esc(ex.text)}</pre>`).join('\n')}</details>`)
        .join('\n');
      return `<h3>${esc(p.name)}</h3>\n${body}`;
    })
    .join('\n');
  return htmlPage('Data pipeline report', `<p>${esc(summary(s))}</p>
<h2>Stages</h2>
<table><tr><th>#</th><th>stage</th><th>kind</th><th>in</th><th>kept</th><th>dropped</th><th>dropped of input</th><th>why</th><th>counters</th></tr>
${rows}
</table>
${chartSvg ? `<figure>${chartSvg}<figcaption>Documents each stage removed, by reason</figcaption></figure>` : ''}
<h2>Input files</h2>
<table><tr><th>file</th><th>records</th><th>documents</th><th>errors</th><th>skipped</th></tr>
${files}
</table>
${errors ? `<p>First errors per file:</p><ul>${errors}</ul>` : ''}
<h2>Dropped documents, by rule</h2>
${examples || '<p>No document was dropped.</p>'}
${clusterHtml(clusters)}
${s.outputs.length ? `<h2>Output files</h2><ul>${s.outputs.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : ''}`);
}

export interface ReportFiles {
  stats: string;
  markdown: string;
  html: string;
  chart: string;
}

const writeText = writeTextAtomic;

/** Writes stats.json, report-stages.svg, report.md and report.html into `outDir`. */
export async function writeRunReport(outDir: string, stats: RunStats): Promise<ReportFiles> {
  mkdirSync(outDir, { recursive: true });
  const files: ReportFiles = { stats: join(outDir, 'stats.json'), markdown: join(outDir, 'report.md'), html: join(outDir, 'report.html'), chart: join(outDir, 'report-stages.svg') };
  // Vega takes a while to load: only the report pays for it.
  const { barChartSvg } = await import('../report/charts.js');
  const svg = await barChartSvg(droppedByStage(stats), { title: 'Documents removed per stage', valueTitle: 'documents', seriesTitle: 'reason' });
  writeText(files.stats, JSON.stringify(stats, null, 1) + '\n');
  writeText(files.chart, svg);
  const clusters = readClusterSummaries(outDir, stats);
  writeText(files.markdown, renderMarkdown(stats, 'report-stages.svg', clusters));
  writeText(files.html, renderHtml(stats, svg, clusters));
  return files;
}

/** stats.json of a finished run. */
export function readRunStats(outDir: string): RunStats {
  const path = join(outDir, 'stats.json');
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunStats;
  } catch (e) {
    throw new Error(`${path}: cannot read the run's stats (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

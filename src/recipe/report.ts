// One report for a whole recipe run (report.html, self-contained, and report.md): the raw corpus, what
// each cleaning stage removed (with its bar chart), the tokenizer, the loss curves, the samples, the
// timings and the exact settings.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeTextAtomic } from '../formats/atomic.js';
import type { RunStats } from '../data/report.js';
import { escapeHtml, htmlPage, settingsMarkdown } from '../report/html.js';
import { writeRunReport } from '../train/report.js';
import type { RecipeState } from './recipe.js';

const esc = escapeHtml;

interface Table {
  head: string[];
  rows: (string | number)[][];
}

function mdTable(t: Table): string {
  return [`| ${t.head.join(' | ')} |`, `|${t.head.map(() => '---').join('|')}|`, ...t.rows.map((r) => `| ${r.map((c) => String(c).replace(/\|/g, '\\|').replace(/\n/g, ' ')).join(' | ')} |`)].join('\n');
}

function htmlTable(t: Table): string {
  return `<table><tr>${t.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>\n${t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('\n')}</table>`;
}

/** Per cleaning stage: documents in, kept, dropped and the main reasons. */
function stageTable(stats: RunStats): Table {
  const rows = stats.pipeline.map((info) => {
    const s = stats.stages[info.name] ?? { total: 0, kept: 0, dropped: 0 };
    const reasons = Object.entries(s)
      .filter(([k, v]) => k.startsWith('dropped_') && v > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([k, v]) => `${k.slice(8)} ${v}`)
      .join(', ');
    return [info.name, s.total, s.kept, s.dropped, reasons || '-'];
  });
  return { head: ['stage', 'in', 'kept', 'dropped', 'main reasons'], rows };
}

export async function writeRecipeReport(out: string, state: RecipeState): Promise<{ html: string; markdown: string }> {
  const statsPath = join(out, 'clean', 'stats.json');
  const stats = existsSync(statsPath) ? (JSON.parse(readFileSync(statsPath, 'utf8')) as RunStats) : undefined;
  const stagesSvgPath = join(out, 'clean', 'report-stages.svg');
  const stagesSvg = existsSync(stagesSvgPath) ? readFileSync(stagesSvgPath, 'utf8') : '';
  const train = join(out, 'train');
  const p = state.pretrain;
  const trainReport = existsSync(join(train, 'log.jsonl'))
    ? await writeRunReport(train, { title: 'Pretraining', settings: { ...(p ?? {}) } })
    : undefined;
  const lossSvg = trainReport ? readFileSync(trainReport.svg, 'utf8') : '';
  const modelDir = join(train, 'model');
  const total = Object.values(state.done).reduce((s, x) => s + x, 0);

  const timings: Table = { head: ['stage', 'seconds'], rows: [...Object.entries(state.done).map(([k, v]) => [k, v.toFixed(1)]), ['total', total.toFixed(1)]] };
  const corpus: Table = { head: ['source', 'documents'], rows: Object.entries(state.corpus?.bySource ?? {}).map(([k, v]) => [k, v]) };
  const tok = state.tokenizer;
  const tokTable: Table = {
    head: ['figure', 'value'],
    rows: tok
      ? [
          ['pieces', tok.vocabSize],
          ['merges', tok.merges],
          ['characters in the vocabulary (others: byte fallback)', tok.characters],
          ['training sentences', tok.sentences],
          ['tokens per UTF-8 byte of the cleaned text', tok.tokensPerByte?.toFixed(3) ?? '-'],
          ['training tokens / validation tokens', `${state.tokens?.train ?? '-'} / ${state.tokens?.val ?? '-'}`],
          ['seconds', tok.seconds.toFixed(1)],
        ]
      : [],
  };
  const params = p ? p.model.vocabSize * p.model.hidden * 2 + p.model.layers * (2 * p.model.hidden + p.model.hidden * p.model.headDim * (2 * p.model.heads + 2 * p.model.kvHeads) + 3 * p.model.hidden * p.model.ffn) + p.model.hidden : 0;
  const trainTable: Table = {
    head: ['figure', 'value'],
    rows: p
      ? [
          ['architecture', `hidden ${p.model.hidden}, ${p.model.layers} layers, ${p.model.heads}/${p.model.kvHeads} heads (GQA), head dim ${p.model.headDim}, SwiGLU ffn ${p.model.ffn}, RoPE base ${p.model.ropeTheta}, RMSNorm, vocab ${p.model.vocabSize}`],
          ['parameters', `${(params / 1e6).toFixed(2)} M`],
          ['steps x tokens per step', `${p.steps} x ${p.batchTokens} (sequences of ${p.seqLen})`],
          ['peak learning rate (warmup + cosine)', p.lr],
          ['final train loss', p.finalLoss?.toFixed(4) ?? '-'],
          ['final validation loss', p.valLoss?.toFixed(4) ?? '-'],
          ['training tokens/s', p.tokensPerSecond ? Math.round(p.tokensPerSecond) : '-'],
        ]
      : [],
  };
  const samples = state.samples ?? [];
  const next = `yi chat --model ${relative(process.cwd(), modelDir) || modelDir}`;
  const settingsJson = JSON.stringify({ settings: state.settings, pretrain: p, startedAt: state.startedAt }, null, 2);

  const md = [
    '# Yi recipe run',
    '',
    `Raw text -> cleaning cascade -> tokenizer -> token shards -> pretraining -> samples, in ${total.toFixed(0)} s. Next: \`${next}\``,
    '',
    '## Timings',
    '',
    mdTable(timings),
    '',
    '## Data',
    '',
    `Raw corpus: ${state.corpus?.documents ?? '-'} documents, ${((state.corpus?.bytes ?? 0) / 1e6).toFixed(2)} MB.`,
    '',
    mdTable(corpus),
    '',
    stats ? `The cleaning cascade kept ${stats.documents.written} of ${stats.documents.read} documents (details: clean/report.md).` : '',
    '',
    stagesSvg ? '![what each stage removed](clean/report-stages.svg)' : '',
    '',
    stats ? mdTable(stageTable(stats)) : '',
    '',
    '## Tokenizer',
    '',
    mdTable(tokTable),
    '',
    '## Pretraining',
    '',
    lossSvg ? '![loss curves](train/loss.svg)' : '',
    '',
    mdTable(trainTable),
    '',
    '## Samples (temperature 0.8, top-k 40)',
    '',
    ...samples.flatMap((s) => [`**${s.prompt}**`, '', '```', s.prompt + s.text, '```', '']),
    ...settingsMarkdown(settingsJson),
  ].join('\n');

  const html = htmlPage(
    'Yi recipe run',
    `<p>Raw text &rarr; cleaning cascade &rarr; tokenizer &rarr; token shards &rarr; pretraining &rarr; samples, in ${total.toFixed(0)} s. Next: <code>${esc(next)}</code></p>
<h2>Timings</h2>
${htmlTable(timings)}
<h2>Data</h2>
<p>Raw corpus: ${state.corpus?.documents ?? '-'} documents, ${((state.corpus?.bytes ?? 0) / 1e6).toFixed(2)} MB.</p>
${htmlTable(corpus)}
${stats ? `<p>The cleaning cascade kept ${stats.documents.written} of ${stats.documents.read} documents (details and dropped examples: <a href="clean/report.html">clean/report.html</a>).</p>` : ''}
${stagesSvg}
${stats ? htmlTable(stageTable(stats)) : ''}
<h2>Tokenizer</h2>
${htmlTable(tokTable)}
<h2>Pretraining</h2>
${lossSvg}
${htmlTable(trainTable)}
<h2>Samples (temperature 0.8, top-k 40)</h2>
${samples.map((s) => `<pre><b>${esc(s.prompt)}</b>${esc(s.text)}</pre>`).join('\n')}
<h2>Settings</h2>
<pre>${esc(settingsJson)}</pre>`,
  );
  const files = { html: join(out, 'report.html'), markdown: join(out, 'report.md') };
  writeTextAtomic(files.html, html);
  writeTextAtomic(files.markdown, md);
  return files;
}

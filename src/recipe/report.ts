// One report for a whole recipe run (report.html, self-contained, and report.md): the raw corpus, what
// each cleaning stage removed (with its bar chart), the tokenizer, the loss curves, the samples, the
// timings against the time budget and the exact settings.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTextAtomic } from '../formats/atomic.js';
import type { RunStats } from '../data/report.js';
import { escapeHtml, htmlPage, settingsMarkdown } from '../report/html.js';
import { shellPath } from '../report/shell.js';
import { writeRunReport } from '../train/report.js';
import { secs } from './budget.js';
import { chatCommand, chatModelKind, generateCommand, modelKind, parameterCount } from './next-steps.js';
import type { RecipeState } from './recipe.js';
import { SCALES } from './scales.js';

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

/** The time budget: asked, used, over by how much and why; how pretraining was planned and ran. */
function budgetLines(state: RecipeState): { verdict: string; reasons: string[]; table: Table } {
  const b = state.budget;
  const p = state.pretrain;
  const verdict = !b
    ? ''
    : b.overSeconds > 0
      ? `Over budget: ${secs(b.usedSeconds)} against the ${secs(b.seconds)} asked for (--minutes ${state.settings.minutes}), ${secs(b.overSeconds)} more, because:`
      : `Within budget: ${secs(b.usedSeconds)} of the ${secs(b.seconds)} asked for (--minutes ${state.settings.minutes}).`;
  const rows: (string | number)[][] = [];
  if (p?.mode === 'time') {
    rows.push(['pretraining budget', `${secs(p.budgetSeconds!)} (what the stages before it left, less ${secs(SCALES[state.settings.scale].reserveSeconds)} for the samples)`]);
    rows.push(['steps: estimated by the probe / trained', `${p.estimatedSteps ?? '-'} / ${p.budget ? p.steps : '-'}`]);
    if (p.budget) {
      rows.push(['pretraining time', `${secs(p.budget.elapsedSeconds)} of ${secs(p.budget.seconds)}${p.budget.overReason ? `: ${p.budget.overReason}` : ''}`]);
      if (p.budget.decayStart !== undefined) rows.push(['learning-rate decay started', `step ${p.budget.decayStart + 1}, at ${secs(p.budget.decayStartSeconds!)}`]);
    }
  } else if (p) {
    rows.push(['pretraining', `a fixed ${p.steps} steps (--steps), whatever the time`]);
  }
  if (p?.evalTokens !== undefined) rows.push(['validation tokens per evaluation', p.evalTokens]);
  if (p) rows.push(['training tokens/s: probe / measured', `${Math.round(p.probeTokensPerSecond)} / ${p.tokensPerSecond ? Math.round(p.tokensPerSecond) : '-'}`]);
  return { verdict, reasons: b?.reasons ?? [], table: { head: ['figure', 'value'], rows } };
}

/** The learning-rate schedule as it ran. */
function scheduleText(state: RecipeState): string {
  const p = state.pretrain!;
  const warmup = `warmup ${p.warmupSteps ?? '-'} steps, peak ${p.lr}`;
  if (p.mode === 'time') {
    const d = p.budget?.decayStart;
    return `WSD: ${warmup}, constant, then linear decay to ${p.lr / 10}${d !== undefined ? ` from step ${d + 1} (started by the clock at ${secs(p.budget!.decayStartSeconds!)})` : ' over the last 20% of the time'}`;
  }
  if (p.mode === 'steps') return `WSD: ${warmup}, constant, then linear decay to ${p.lr / 10} over the last 20% of the steps`;
  return `${warmup}, cosine decay to ${p.lr / 10}`;
}

export async function writeRecipeReport(out: string, state: RecipeState, o: { command?: string } = {}): Promise<{ html: string; markdown: string }> {
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
  const params = p ? parameterCount(p.model) : 0;
  const trainTable: Table = {
    head: ['figure', 'value'],
    rows: p
      ? [
          ['architecture', `hidden ${p.model.hidden}, ${p.model.layers} layers, ${p.model.heads}/${p.model.kvHeads} heads (GQA), head dim ${p.model.headDim}, SwiGLU ffn ${p.model.ffn}, RoPE base ${p.model.ropeTheta}, RMSNorm, vocab ${p.model.vocabSize}`],
          ['parameters', `${(params / 1e6).toFixed(2)} M`],
          ['steps x tokens per step', `${p.steps} x ${p.batchTokens} (sequences of ${p.seqLen})`],
          ['learning rate', scheduleText(state)],
          ['final train loss', p.finalLoss?.toFixed(4) ?? '-'],
          ['final validation loss', p.valLoss?.toFixed(4) ?? '-'],
          ['training tokens/s', p.tokensPerSecond ? Math.round(p.tokensPerSecond) : '-'],
        ]
      : [],
  };
  const samples = state.samples ?? [];
  const scale = SCALES[state.settings.scale];
  const next = generateCommand(o.command ?? 'npx yi', shellPath(modelDir, process.cwd()), state.samples?.[0]?.prompt ?? scale.prompts[0]!, scale.sampleTokens);
  const kind = modelKind(state);
  const chatKind = chatModelKind(state);
  const chatNext = chatKind ? chatCommand(o.command ?? 'npx yi', shellPath(join(out, 'sft', 'model'), process.cwd())) : undefined;
  const f = state.sft;
  const pct = (x?: number) => (x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);
  const sftTable: [string, string | number][] = f && f.share > 0
    ? [
        ['time share', `${(100 * f.share).toFixed(0)}% of what the data stages left${f.budgetSeconds !== undefined ? ` (${secs(f.budgetSeconds)} planned)` : ', a fixed step count (--steps)'}`],
        ['steps x sequences of tokens', `${f.steps} x ${f.batch} of ${f.seqLen}`],
        ['learning rate (constant)', f.lr],
        ['conversations: training / held out', `${f.trainConversations ?? '-'} / ${f.heldoutConversations ?? '-'}`],
        ['final train answer loss', f.finalLoss?.toFixed(4) ?? '-'],
        ['held-out answer loss', f.heldoutLoss?.toFixed(4) ?? '-'],
        ['held-out exact match before -> after', `${pct(f.before?.accuracy)} -> ${pct(f.after?.accuracy)}`],
        ['answers ending with <|im_end|> before -> after', `${pct(f.before?.imEndShare)} -> ${pct(f.after?.imEndShare)}`],
      ]
    : [];
  const budget = budgetLines(state);
  const settingsJson = JSON.stringify({ settings: state.settings, pretrain: p, sft: state.sft, startedAt: state.startedAt }, null, 2);

  const md = [
    '# Yi recipe run',
    '',
    `Raw text -> cleaning cascade -> tokenizer -> token shards -> pretraining -> samples, in ${total.toFixed(0)} s.`,
    '',
    `The model (\`train/model\`, a Hugging Face folder) is ${kind}. Try it: \`${next}\``,
    '',
    '## Time budget',
    '',
    budget.verdict,
    '',
    ...budget.reasons.map((r) => `- ${r}`),
    ...(budget.reasons.length ? [''] : []),
    mdTable(budget.table),
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
    ...(sftTable.length
      ? ['## Chat finetuning', '', `\`sft/model\` is ${chatKind ?? 'the finetuned model'}. Try it: \`${chatNext ?? ''}\` (details: sft/report.md).`, '', mdTable({ head: ['figure', 'value'], rows: sftTable }), '']
      : []),
    '## Samples (temperature 0.8, top-k 40)',
    '',
    ...samples.flatMap((s) => [`**${s.prompt}**`, '', '```', s.prompt + s.text, '```', '']),
    ...settingsMarkdown(settingsJson),
  ].join('\n');

  const html = htmlPage(
    'Yi recipe run',
    `<p>Raw text &rarr; cleaning cascade &rarr; tokenizer &rarr; token shards &rarr; pretraining &rarr; samples, in ${total.toFixed(0)} s.</p>
<p>The model (<code>train/model</code>, a Hugging Face folder) is ${esc(kind)}. Try it: <code>${esc(next)}</code></p>
<h2>Time budget</h2>
<p>${state.budget && state.budget.overSeconds > 0 ? `<strong>${esc(budget.verdict)}</strong>` : esc(budget.verdict)}</p>
${budget.reasons.length ? `<ul>${budget.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : ''}
${htmlTable(budget.table)}
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
${sftTable.length ? `<h2>Chat finetuning</h2>\n<p><code>sft/model</code> is ${esc(chatKind ?? 'the finetuned model')}. Try it: <code>${esc(chatNext ?? '')}</code> (details: <a href="sft/report.html">sft/report.html</a>).</p>\n${htmlTable({ head: ['figure', 'value'], rows: sftTable })}` : ''}
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

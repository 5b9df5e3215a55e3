// `yi eval perplexity` and `yi eval quant-table`: thin shells over src/eval. Perplexity prints
// llama-perplexity's lines on stdout ([1]x,[2]y,... then "Final estimate: PPL = x +/- y"), a progress
// bar with tokens/s and ETA on a terminal's stderr; Ctrl-C stops between forward steps (a second one
// quits at once) and reports the chunks done.
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { EvalError } from '../eval/errors.js';
import { perplexityOfText, type PerplexityResult } from '../eval/perplexity.js';
import { DEFAULT_TABLE_LABELS, markdownTable, quantTable, tableRows, type QuantTableLine } from '../eval/quant-table.js';
import { weightTypesLabel } from '../model/weight-types.js';
import { Runtime } from '../runtime/runtime.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { addModelOptions, checkModelArgs, intOption, loadForCli, type ModelCliOptions } from './model-options.js';
import { bar, duration, StatusLine } from './status-line.js';

/** The text of `--file`, with a typed error for a missing, unreadable or empty one. */
export function readEvalText(file: string): string {
  let text: string;
  try {
    if (statSync(file).isDirectory()) throw new EvalError(`--file ${file} is a folder; give a text file`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof EvalError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new EvalError(code === 'ENOENT' ? `--file ${file} does not exist` : `--file ${file} cannot be read (${code ?? (e as Error).message})`);
  }
  if (text.trim().length === 0) throw new EvalError(`--file ${file} is empty: perplexity needs text to score`);
  return text;
}

/** Ctrl-C aborts the returned signal; a second one quits at once. `off()` removes the handler. */
function interruptible(): { signal: AbortSignal; off: () => void } {
  const stop = new AbortController();
  const onInterrupt = () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  };
  process.on('SIGINT', onInterrupt);
  return { signal: stop.signal, off: () => process.off('SIGINT', onInterrupt) };
}

/** The JSON object of a perplexity run (--json). */
export function perplexityJson(r: PerplexityResult, extra: Record<string, unknown>): Record<string, unknown> {
  return { ...extra, method: r.method, ctx: r.ctx, ...(r.stride === undefined ? {} : { stride: r.stride }), tokens: r.tokens, windows: r.windows, totalWindows: r.totalWindows, scored: r.scored, ppl: r.ppl, error: r.error, nll: r.nll, running: r.running, seconds: r.seconds, tokensPerSecond: r.tokensPerSecond, aborted: r.aborted };
}

interface PerplexityCli extends ModelCliOptions {
  file: string;
  stride?: string;
  chunks?: string;
  json?: boolean;
}

function registerPerplexity(parent: Command): void {
  const cmd = parent.command('perplexity').description("perplexity of a model on a text file (llama-perplexity's chunked method; --stride: Hugging Face's sliding window)");
  addModelOptions(cmd)
    .requiredOption('-f, --file <path>', 'the text to score (UTF-8)')
    .option('--stride <n>', "Hugging Face's sliding-window method with this stride (default: llama-perplexity's chunks, second half of each scored)")
    .option('--chunks <n>', 'score at most this many chunks (windows with --stride)')
    .option('--json', 'print one JSON object with the result instead of the text lines')
    .action(async (o: PerplexityCli) => {
      // Bad flags and files fail before the model loads.
      const stride = intOption('stride', o.stride, 1);
      const chunks = intOption('chunks', o.chunks, 1);
      checkModelArgs(o);
      const text = readEvalText(o.file);
      const { rt, model, tokenizer, loadSeconds } = await loadForCli(o, { quiet: o.json });
      const { signal, off } = interruptible();
      // The running values stream to stdout as llama-perplexity prints them, unless stdout is the
      // terminal the bar is drawn on (then the bar shows them, and the line is printed at the end).
      const progress = process.stderr.isTTY ? new SingleBar({ format: '{bar} {value}/{total} tokens | chunk {chunk} | ppl {ppl} | {speed} tokens/s | ETA {eta_formatted}', stream: process.stderr, clearOnComplete: true, hideCursor: true, etaBuffer: 4, fps: 5 }) : undefined;
      const streamRunning = !o.json && !(progress && process.stdout.isTTY);
      const t0 = performance.now();
      let started = false;
      let ppl = '-';
      let chunk = '0';
      try {
        const r = await perplexityOfText(model, tokenizer, text, {
          source: o.file,
          ctx: model.contextLength,
          stride,
          chunks,
          signal,
          onWindow: (w) => {
            ppl = w.ppl.toFixed(4);
            chunk = `${w.index}/${w.windows}`;
            if (streamRunning) process.stdout.write(`[${w.index}]${w.ppl.toFixed(4)},`);
          },
          onProgress: (done, total) => {
            // Said once the text has passed its checks, so that a refusal is the only line.
            if (!started && !o.json) process.stderr.write(`${o.model}: ${model.config.layers} layers, ${weightTypesLabel(model.weights)} weights, ${rt.threads} threads (${rt.flavor}), loaded in ${loadSeconds.toFixed(1)} s\n`);
            if (!started) progress?.start(total, 0, { ppl, chunk, speed: '-' });
            started = true;
            if (!progress) return;
            const s = (performance.now() - t0) / 1000;
            progress.update(done, { ppl, chunk, speed: s > 0 ? (done / s).toFixed(1) : '-' });
          },
        });
        progress?.stop();
        if (o.json) {
          console.log(JSON.stringify(perplexityJson(r, { model: o.model, file: o.file })));
        } else {
          if (!streamRunning) process.stdout.write(r.running.map((p, i) => `[${i + 1}]${p.toFixed(4)},`).join(''));
          process.stdout.write('\n');
          const what = r.method === 'chunks' ? `${r.windows} chunks of ${r.ctx} tokens` : `${r.windows} windows of ${r.ctx} tokens, stride ${r.stride}`;
          if (r.aborted) {
            process.stderr.write(`stopped by Ctrl-C after ${r.windows} of ${r.totalWindows} ${r.method === 'chunks' ? 'chunks' : 'windows'}${r.windows > 0 ? `; estimate over those: PPL = ${r.ppl.toFixed(4)} +/- ${r.error.toFixed(5)}` : ''}\n`);
          } else {
            console.log(`Final estimate: PPL = ${r.ppl.toFixed(4)} +/- ${r.error.toFixed(5)}`);
            process.stderr.write(`${r.tokens} tokens, ${what}, ${r.scored} scored; ${(r.tokensPerSecond).toFixed(1)} tokens/s, ${duration(r.seconds)}\n`);
          }
        }
        if (r.aborted) process.exitCode = 130;
      } finally {
        progress?.stop();
        off();
        await rt.close();
      }
    });
}

interface QuantTableCli {
  model: string;
  file: string;
  types?: string;
  out?: string;
  ctx?: string;
  stride?: string;
  chunks?: string;
  batch?: string;
  threads?: string;
  decodeTokens: string;
  calib?: string;
  calibTokens?: string;
  calibCtx?: string;
  json?: boolean;
}

/** The row of --json: the table's columns plus the perplexity settings. */
export function tableLineJson(l: QuantTableLine): Record<string, unknown> {
  const p = l.perplexity;
  return { label: l.label, type: l.type, file: l.file, bytes: l.bytes, bitsPerWeight: l.bitsPerWeight, ppl: l.ppl, pplError: l.pplError, deltaPercent: l.deltaPercent, decodeTokensPerSecond: l.decodeTokensPerSecond, method: p.method, ctx: p.ctx, windows: p.windows, scored: p.scored };
}

function registerQuantTable(parent: Command): void {
  parent
    .command('quant-table')
    .description('quantize a checkpoint to each type (as yi convert / yi quantize do) and print size, bits per weight, perplexity, its change from f32 and decode speed')
    .requiredOption('-m, --model <path>', 'a Hugging Face model folder (or a .gguf file)')
    .requiredOption('-f, --file <path>', 'the text to score (UTF-8)')
    .option('--types <list>', `comma-separated rows (default ${DEFAULT_TABLE_LABELS.join(',')})`)
    .option('-o, --out <dir>', 'keep the quantized files in this folder (default: a temporary folder, removed)')
    .option('-c, --ctx <n>', "perplexity context (default: the model's, capped at 4096)")
    .option('--stride <n>', "Hugging Face's sliding window with this stride")
    .option('--chunks <n>', 'score at most this many chunks')
    .option('-b, --batch <n>', 'tokens per forward step (default 128)')
    .option('-t, --threads <n>', 'threads (default: one per core)')
    .option('--decode-tokens <n>', 'tokens timed for the decode speed', '64')
    .option('--calib <file>', 'calibration text for the awq+<type> rows (as yi quantize --awq --calib)')
    .option('--calib-tokens <n>', 'calibration tokens for the awq rows (default 4096)')
    .option('--calib-ctx <n>', 'tokens per calibration sequence for the awq rows (default 512, at most the model\'s context)')
    .option('--json', 'one JSON object per row as it is measured, instead of the Markdown table')
    .action(async (o: QuantTableCli) => {
      const rows = tableRows((o.types ?? DEFAULT_TABLE_LABELS.join(',')).split(',').map((s) => s.trim()).filter(Boolean));
      if (o.calib === undefined && (o.calibTokens !== undefined || o.calibCtx !== undefined)) throw new EvalError('--calib-tokens and --calib-ctx set the calibration of awq rows: add --calib FILE');
      const ctx = checkModelArgs(o);
      const stride = intOption('stride', o.stride, 1);
      const chunks = intOption('chunks', o.chunks, 1);
      const batch = intOption('batch', o.batch, 1);
      const decodeTokens = intOption('decode-tokens', o.decodeTokens, 1);
      const text = readEvalText(o.file);
      const tokenizer = Tokenizer.load(o.model);
      const rt = await Runtime.create({ threads: intOption('threads', o.threads, 1) });
      const { signal, off } = interruptible();
      const status = new StatusLine();
      try {
        const lines = await quantTable(o.model, {
          runtime: rt,
          tokenizer,
          text,
          source: o.file,
          rows,
          outDir: o.out,
          ctx,
          stride,
          chunks,
          batch,
          decodeTokens,
          ...(o.calib !== undefined ? { calib: { file: o.calib, tokens: intOption('calib-tokens', o.calibTokens, 2), seqLen: intOption('calib-ctx', o.calibCtx, 2) } } : {}),
          signal,
          onStage: (s) => status.update(`${s.row.label} (${s.index + 1}/${s.rows}) ${s.stage} ${bar(s.fraction)}`),
          onLine: (l) => {
            if (o.json) {
              status.clear();
              console.log(JSON.stringify(tableLineJson(l)));
            } else {
              status.log(`${l.label}: PPL ${l.ppl.toFixed(4)} +/- ${l.pplError.toFixed(4)}, ${l.bitsPerWeight.toFixed(2)} bits/weight, ${l.decodeTokensPerSecond.toFixed(1)} tokens/s`);
            }
          },
        });
        status.clear();
        if (!o.json && lines.length > 0) {
          const p = lines[0]!.perplexity;
          console.log(markdownTable(lines));
          console.log(`\n${o.model} on ${o.file}: ${p.tokens} tokens, ${p.method === 'chunks' ? `${p.windows} chunks of ${p.ctx}` : `windows of ${p.ctx}, stride ${p.stride}`}; ${rt.threads} threads (${rt.flavor}), ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`);
        }
        if (signal.aborted) {
          process.stderr.write(`stopped by Ctrl-C after ${lines.length} of ${rows.length} rows\n`);
          process.exitCode = 130;
        }
      } finally {
        status.clear();
        off();
        await rt.close();
      }
    });
}

export function registerEval(program: Command): void {
  const cmd = program.command('eval').description('evaluate models: perplexity, the quantization quality table');
  registerPerplexity(cmd);
  registerQuantTable(cmd);
}

// `yi quantize --model IN --type TYPE --out OUT.gguf`: a GGUF or Hugging Face folder in, a GGUF out
// with llama-quantize's per-tensor types (src/model/quantize.ts); with --awq --calib FILE, AWQ scales
// searched on the calibration text are folded in first (src/model/awq/). A progress bar on a terminal
// (one line per step otherwise); the output appears only when complete (written to a temporary file,
// then renamed).
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_AWQ_GRID } from '../model/awq/awq.js';
import { DEFAULT_CALIB_SEQ_LEN, DEFAULT_CALIB_TOKENS } from '../model/awq/calibration.js';
import { AwqError } from '../model/awq/errors.js';
import { awqQuantizeCheckpoint, type AwqQuantizeResult } from '../model/awq/quantize-awq.js';
import { QUANTIZE_TYPES, quantizeCheckpoint, type QuantizeType } from '../model/quantize.js';
import { bar, duration, StatusLine } from './status-line.js';

function parseType(v: string): QuantizeType {
  const t = v.toLowerCase();
  if (!(QUANTIZE_TYPES as readonly string[]).includes(t)) throw new InvalidArgumentError(`expected one of ${QUANTIZE_TYPES.join(', ')}`);
  return t as QuantizeType;
}

function positiveInt(min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer of at least ${min}`);
    return n;
  };
}

interface QuantizeCliOptions {
  model: string;
  type: QuantizeType;
  out: string;
  name?: string;
  quiet?: boolean;
  strict?: boolean;
  awq?: boolean;
  calib?: string;
  calibTokens?: number;
  calibCtx?: number;
  awqGrid?: number;
}

export function registerQuantize(program: Command): void {
  program
    .command('quantize')
    .description("quantize a checkpoint to GGUF with llama.cpp's per-tensor choices (Q4_K_M: Q4_K, Q6_K for the output and some attn_v / ffn_down)")
    .requiredOption('-m, --model <path>', 'a Hugging Face model folder or a .gguf file')
    .requiredOption('--type <type>', `file type: ${QUANTIZE_TYPES.join(', ')}`, parseType)
    .requiredOption('-o, --out <file>', 'the output .gguf file (replaced only once complete)')
    .option('--name <name>', 'general.name of the output')
    .option('--awq', 'activation-aware scaling (AWQ) searched on --calib text before rounding (4-bit and lower types; float input)')
    .option('--calib <file>', 'calibration text for --awq (plain text, tokenized with the model\'s tokenizer)')
    .option('--calib-tokens <n>', `calibration tokens for --awq (default ${DEFAULT_CALIB_TOKENS})`, positiveInt(2))
    .option('--calib-ctx <n>', `tokens per calibration sequence for --awq (default ${DEFAULT_CALIB_SEQ_LEN}, at most the model's context)`, positiveInt(2))
    .option('--awq-grid <n>', `points of the AWQ exponent grid over [0, 1] (default ${DEFAULT_AWQ_GRID})`, positiveInt(2))
    .option('--quiet', 'no progress on stderr')
    .option('--strict', 'refuse an input with tensors a Llama/Yi model does not read (default: leave them out, with a warning)')
    .action(async (o: QuantizeCliOptions) => {
      if (!o.awq && (o.calib !== undefined || o.calibTokens !== undefined || o.calibCtx !== undefined || o.awqGrid !== undefined)) {
        throw new AwqError('--calib, --calib-tokens, --calib-ctx and --awq-grid are options of --awq; add --awq');
      }
      if (o.awq && o.calib === undefined) throw new AwqError('--awq needs calibration text: --calib FILE (a plain text file, a few thousand tokens or more)');
      const status = new StatusLine();
      const t0 = performance.now();
      // The search's lines are labelled; the tensors' lines keep plain yi quantize's form.
      const show = (label: string) => (done: number, total: number, what: string) => {
        if (o.quiet) return;
        const text = `${label}${bar(done / total)} ${done}/${total} ${what}`;
        if (status.tty) status.update(text, done === total);
        else process.stderr.write(`${label}${done}/${total} ${what}\n`);
      };
      const common = { type: o.type, ...(o.name ? { name: o.name } : {}), strict: o.strict, onProgress: o.quiet ? undefined : show('') };
      const res = o.awq
        ? await awqQuantizeCheckpoint(o.model, o.out, { ...common, calib: o.calib!, tokens: o.calibTokens, seqLen: o.calibCtx, grid: o.awqGrid, onSearch: show('awq search ') })
        : await quantizeCheckpoint(o.model, o.out, common);
      status.done();
      for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
      const awq = 'awq' in res ? (res as AwqQuantizeResult) : undefined;
      if (awq && !o.quiet) {
        for (const s of awq.awqSkipped) process.stderr.write(`note: AWQ left unscaled: ${s}\n`);
        const ratios = awq.awq.map((g) => (g.error > 0 ? g.rtnError / g.error : 1));
        const mean = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / Math.max(1, ratios.length));
        const scaled = awq.awq.filter((g) => g.alpha > 0).length;
        process.stderr.write(
          `AWQ: ${scaled} of ${awq.awq.length} layer groups scaled on ${awq.calibTokens} calibration tokens; their output error vs round-to-nearest: ${mean.toFixed(2)}x lower (geometric mean; ${Math.min(...ratios).toFixed(2)}x to ${Math.max(...ratios).toFixed(2)}x)\n`,
        );
      }
      console.log(`wrote ${res.output} (GGUF, ${awq ? 'awq+' : ''}${res.type}, ${res.tensors} tensors${res.tokenizer ? ', tokenizer' : ''}) in ${duration((performance.now() - t0) / 1000)}`);
    });
}

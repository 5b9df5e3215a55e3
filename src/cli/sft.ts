// `yi sft`: chat finetuning of a base model on conversation files (src/sft/sft.ts), with a live progress
// line, a JSONL log, checkpoints, --resume, held-out evaluation and a report; prints `yi chat` on the
// finetuned model as the next command.
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseLoraTargets } from '../model/lora.js';
import type { BaseType } from '../model/trainable.js';
import { Runtime } from '../runtime/runtime.js';
import { sft, SFT_DEFAULTS, type SftOptions } from '../sft/sft.js';
import { shellPath } from '../report/shell.js';
import { FEW_SHOT_FORMATS, type FewShotFormat } from '../sft/few-shot.js';
import { intOption, ModelOptionError, numberOption } from './model-options.js';
import { sftProgress } from './sft-progress.js';
import { userCwd, yiCommand } from './invocation.js';

interface SftCli {
  model: string;
  data: string[];
  out: string;
  tokenizer?: string;
  evalData?: string[];
  strict: boolean;
  seqLen?: string;
  batch: string;
  microBatch?: string;
  epochs?: string;
  steps?: string;
  lr: string;
  warmup: string;
  clip: string;
  weightDecay: string;
  beta1: string;
  beta2: string;
  eps: string;
  neftuneAlpha: string;
  packing: boolean;
  seed: string;
  evalInterval: string;
  evalGenerations: string;
  evalMaxTokens: string;
  baseShots: string;
  baseShotsFormat: string;
  checkpointInterval: string;
  keep: string;
  threads?: string;
  recompute: boolean;
  loraRank?: string;
  loraAlpha: string;
  loraDropout: string;
  loraTargets: string;
  loraBase?: string;
  merge: boolean;
  resume: boolean;
  maxMinutes?: string;
  progress: boolean;
}

export function registerSft(program: Command): void {
  program
    .command('sft')
    .description('chat finetuning (ChatML, loss on answers only, NEFTune) of a base model on conversation files; writes checkpoints/, model/, log.jsonl, eval/ and report.{md,html}')
    .requiredOption('-m, --model <path>', 'the base model: a Hugging Face folder or a .gguf file')
    .requiredOption('--data <files...>', 'conversations: JSONL in OpenAI {"messages": [...]} or ShareGPT {"conversations": [...]} form (.gz, .zst) or Parquet')
    .requiredOption('--out <dir>', 'output folder')
    .option('--tokenizer <path>', "tokenizer to use instead of the model's own")
    .option('--eval-data <files...>', 'held-out conversations (default: the rows of --data marked "split": "heldout", which are never trained on)')
    .option('--strict', 'refuse the first bad sample instead of counting and skipping it', false)
    .option('--seq-len <n>', `tokens per training sequence (default ${SFT_DEFAULTS.seqLen}, at most the model's positions)`)
    .option('--batch <n>', 'sequences per optimizer step', String(SFT_DEFAULTS.batch))
    .option('--micro-batch <n>', 'sequences per forward/backward pass; the rest is gradient accumulation (default: 8192 tokens\' worth)')
    .option('--epochs <n>', `passes over the training conversations (default ${SFT_DEFAULTS.epochs} when --steps is not given)`)
    .option('--steps <n>', 'optimizer steps instead of --epochs')
    .option('--lr <x>', 'learning rate (constant after the warmup)', String(SFT_DEFAULTS.lr))
    .option('--warmup <n>', 'linear warmup steps', String(SFT_DEFAULTS.warmupSteps))
    .option('--clip <x>', 'global gradient-norm clip (0: none)', String(SFT_DEFAULTS.clip))
    .option('--weight-decay <x>', 'AdamW decoupled weight decay (matrices only)', '0.1')
    .option('--beta1 <x>', 'AdamW beta1', '0.9')
    .option('--beta2 <x>', 'AdamW beta2', '0.999')
    .option('--eps <x>', 'AdamW epsilon', '1e-8')
    .option('--neftune-alpha <x>', 'NEFTune noise on the input embeddings while training (0: off)', String(SFT_DEFAULTS.neftuneAlpha))
    .option('--no-packing', 'one conversation per sequence instead of packing several (attention never crosses conversations either way)')
    .option('--seed <n>', 'seed of the data order and the noise', String(SFT_DEFAULTS.seed))
    .option('--eval-interval <n>', 'held-out answer loss every N steps (0: before and after only)', String(SFT_DEFAULTS.evalInterval))
    .option('--eval-generations <n>', 'held-out prompts answered (greedy) before and after training (0: none)', String(SFT_DEFAULTS.evalGenerations))
    .option('--eval-max-tokens <n>', 'most tokens per held-out answer', String(SFT_DEFAULTS.evalMaxTokens))
    .option('--base-shots <k>', 'also score the base model few-shot before training: k solved training conversations of the same task before each held-out question (0: not run)', String(SFT_DEFAULTS.baseShots))
    .option('--base-shots-format <form>', 'how the shots are shown to the base: text (plain Q:/A: lines, as lm-eval-harness prompts base models) or chatml', SFT_DEFAULTS.baseShotsFormat)
    .option('--checkpoint-interval <n>', 'checkpoint every N steps', String(SFT_DEFAULTS.checkpointInterval))
    .option('--keep <n>', 'checkpoints kept', '2')
    .option('-t, --threads <n>', 'threads (default: one per core)')
    .option('--recompute', 'recompute block activations in backward (less memory, ~30% slower)', false)
    .option('--lora-rank <n>', 'train LoRA adapters of this rank on a frozen base instead of every weight (default: full finetuning)')
    .option('--lora-alpha <x>', 'LoRA alpha: the update is scaled by alpha / rank', '16')
    .option('--lora-dropout <p>', 'LoRA dropout on the adapters\' input while training', '0.05')
    .option('--lora-targets <list>', 'projections that get adapters: q,k,v,o,gate,up,down (or all)', 'all')
    .option('--lora-base <type>', 'with LoRA, the frozen base held as f32, q8_0 or q4_0 (QLoRA-style memory savings)')
    .option('--no-merge', 'with LoRA, write the adapter (out/adapter) only, not the merged model (out/model)')
    .option('--resume', 'continue from the newest checkpoint in --out (bit-identical to an uninterrupted run)', false)
    .option('--max-minutes <x>', 'checkpoint and stop after this much training time (resume continues)')
    .option('--no-progress', 'no progress bar (log lines instead)')
    .action(async (o: SftCli) => {
      const options = sftOptionsFromCli(o);
      const rt = await Runtime.create({ threads: intOption('threads', o.threads, 1) });
      const display = sftProgress(rt, o.progress);
      try {
        const r = await sft(rt, { ...options, report: { settings: { ...options, threads: rt.threads, kernels: rt.flavor } }, onEvent: display.onEvent });
        display.stop();
        const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
        console.log(
          `${r.stoppedEarly ? 'stopped (time limit) at' : 'done:'} step ${r.steps}, ${r.tokens} tokens (${r.trainedTokens} answer tokens), train answer loss ${r.finalLoss.toFixed(4)}` +
            `${r.heldoutLoss !== undefined ? `, held-out answer loss ${r.heldoutLoss.toFixed(4)}` : ''}, ${Math.round(r.tokensPerSecond)} tokens/s`,
        );
        if (r.baseFewShot) console.log(`base model ${r.baseFewShot.shots}-shot (${r.baseFewShot.format}): held-out exact match ${pct(r.baseFewShot.accuracy)}, answers ending with <|im_end|> ${pct(r.baseFewShot.imEndShare)}`);
        if (r.before && r.after) {
          console.log(`held-out exact match ${pct(r.before.accuracy)} -> ${pct(r.after.accuracy)}; answers ending with <|im_end|> ${pct(r.before.imEndShare)} -> ${pct(r.after.imEndShare)}`);
        }
        if (r.stoppedEarly) {
          console.log('continue with the same command and --resume');
          return;
        }
        console.log(`log: ${r.logPath}`);
        if (r.report) console.log(`report: ${r.report.html}`);
        const cwd = userCwd();
        if (r.adapterDir) console.log(`adapter (PEFT): ${r.adapterDir}`);
        if (r.modelDir) console.log(`model: ${r.modelDir}\nnext: ${yiCommand()} chat --model ${shellPath(r.modelDir, cwd)}`);
        else if (r.adapterDir && statSync(o.model).isDirectory()) {
          const merged = join(o.out, 'model');
          console.log(`next: ${yiCommand()} lora merge --model ${shellPath(o.model, cwd)} --adapter ${shellPath(r.adapterDir, cwd)} --out ${shellPath(merged, cwd)} && ${yiCommand()} chat --model ${shellPath(merged, cwd)}`);
        } else if (r.adapterDir) console.log(`to chat with it: convert the base to a Hugging Face folder (${yiCommand()} convert), then ${yiCommand()} lora merge --model FOLDER --adapter ${shellPath(r.adapterDir, cwd)} --out MERGED`);
      } finally {
        display.stop();
        await rt.close();
      }
    });
}

/** The library's options from the command line, every value checked (a bad one names its flag). */
export function sftOptionsFromCli(o: SftCli): Omit<SftOptions, 'onEvent'> {
  const num = (name: string, v: string | undefined, min: number, max = Infinity) => numberOption(name, v, min, max);
  for (const f of [...o.data, ...(o.evalData ?? [])]) {
    if (!existsSync(f)) throw new ModelOptionError(`${f}: no such data file (--data and --eval-data take conversation files: JSONL, .jsonl.gz, .jsonl.zst or Parquet)`);
  }
  if (!existsSync(o.model)) throw new ModelOptionError(`--model ${o.model}: no such file or folder (expected a Hugging Face model folder or a .gguf file)`);
  if (o.steps !== undefined && o.epochs !== undefined) throw new ModelOptionError('give --steps or --epochs, not both');
  return {
    model: o.model,
    data: o.data,
    out: o.out,
    tokenizer: o.tokenizer,
    evalData: o.evalData,
    strict: o.strict,
    seqLen: intOption('seq-len', o.seqLen, 2),
    batch: intOption('batch', o.batch, 1),
    microBatch: intOption('micro-batch', o.microBatch, 1),
    epochs: intOption('epochs', o.epochs, 1),
    steps: intOption('steps', o.steps, 1),
    lr: num('lr', o.lr, 0),
    warmupSteps: intOption('warmup', o.warmup, 0),
    clip: num('clip', o.clip, 0),
    adamw: { weightDecay: num('weight-decay', o.weightDecay, 0)!, beta1: num('beta1', o.beta1, 0, 0.999999)!, beta2: num('beta2', o.beta2, 0, 0.999999)!, eps: num('eps', o.eps, 0)! },
    neftuneAlpha: num('neftune-alpha', o.neftuneAlpha, 0),
    packing: o.packing,
    seed: intOption('seed', o.seed, 0),
    evalInterval: intOption('eval-interval', o.evalInterval, 0),
    evalGenerations: intOption('eval-generations', o.evalGenerations, 0),
    evalMaxTokens: intOption('eval-max-tokens', o.evalMaxTokens, 1),
    baseShots: intOption('base-shots', o.baseShots, 0),
    baseShotsFormat: fewShotFormat(o.baseShotsFormat),
    checkpointInterval: intOption('checkpoint-interval', o.checkpointInterval, 1),
    keepCheckpoints: intOption('keep', o.keep, 1),
    recompute: o.recompute,
    ...loraFromCli(o),
    resume: o.resume,
    maxSeconds: o.maxMinutes !== undefined ? num('max-minutes', o.maxMinutes, 0)! * 60 : undefined,
  };
}

function fewShotFormat(v: string): FewShotFormat {
  if (!(FEW_SHOT_FORMATS as readonly string[]).includes(v)) throw new ModelOptionError(`--base-shots-format must be ${FEW_SHOT_FORMATS.join(' or ')}, got '${v}'`);
  return v as FewShotFormat;
}

/** LoRA settings from the flags: none without --lora-rank (full finetuning), and LoRA-only flags refused then. */
function loraFromCli(o: SftCli): Pick<SftOptions, 'lora' | 'loraBase' | 'merge'> {
  if (o.loraRank === undefined) {
    if (o.loraBase !== undefined) throw new ModelOptionError('--lora-base needs --lora-rank (only a frozen LoRA base can be held quantized)');
    return {};
  }
  const base = o.loraBase ?? 'f32';
  if (!['f32', 'q8_0', 'q4_0'].includes(base)) throw new ModelOptionError(`--lora-base must be f32, q8_0 or q4_0, got '${base}'`);
  return {
    lora: {
      rank: intOption('lora-rank', o.loraRank, 1)!,
      alpha: numberOption('lora-alpha', o.loraAlpha, Number.MIN_VALUE, Infinity)!,
      dropout: numberOption('lora-dropout', o.loraDropout, 0, 0.999999)!,
      targets: parseLoraTargets(o.loraTargets),
      seed: intOption('seed', o.seed, 0)!,
    },
    loraBase: base as BaseType,
    merge: o.merge,
  };
}

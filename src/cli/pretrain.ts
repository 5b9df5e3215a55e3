// `yi pretrain`: trains a Yi-architecture model from scratch on token shards (see `yi tokenize`),
// with a live progress line, a JSONL log, checkpoints and --resume.
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fromHFConfig, preset, PRESETS, type YiConfig } from '../model/config.js';
import { Runtime } from '../runtime/runtime.js';
import { openTokenDataset } from '../train/shards.js';
import { pretrain, type TrainEvent } from '../train/pretrain.js';
import { writeRunReport } from '../train/report.js';
import { intOption, numberOption } from './model-options.js';
import { trainProgress } from './train-progress.js';
import { userCwd, yiCommand } from './invocation.js';
import { shellPath } from '../report/shell.js';

/** A preset name, a config.json, or a folder holding one. */
export function resolveModelConfig(v: string): YiConfig {
  if (Object.prototype.hasOwnProperty.call(PRESETS, v)) return preset(v);
  let path = v;
  if (existsSync(v) && statSync(v).isDirectory()) path = join(v, 'config.json');
  if (!existsSync(path)) throw new Error(`--model-config: '${v}' is neither a preset (${Object.keys(PRESETS).join(', ')}) nor a config.json file or folder`);
  return fromHFConfig(JSON.parse(readFileSync(path, 'utf8')), path);
}

interface PretrainCli {
  modelConfig: string;
  data: string;
  out: string;
  seqLen: string;
  batchTokens?: string;
  microBatchTokens?: string;
  steps?: string;
  tokens?: string;
  lr: string;
  minLr?: string;
  warmup?: string;
  schedule: string;
  clip: string;
  weightDecay: string;
  beta1: string;
  beta2: string;
  evalInterval: string;
  evalTokens: string;
  checkpointInterval: string;
  keep: string;
  seed: string;
  threads?: string;
  recompute: boolean;
  initFrom?: string;
  resume: boolean;
  maxMinutes?: string;
  vocabFromData: boolean;
  progress: boolean;
}

export function registerPretrain(program: Command): void {
  program
    .command('pretrain')
    .description('train a Yi-architecture model from scratch on token shards; writes checkpoints/, model/, log.jsonl and report.{md,html}')
    .requiredOption('--model-config <preset|config.json>', `architecture: a preset (${Object.keys(PRESETS).join(', ')}) or a Hugging Face config.json`)
    .requiredOption('--data <dir>', 'a token dataset folder from `yi tokenize`')
    .requiredOption('--out <dir>', 'output folder')
    .option('--seq-len <n>', 'tokens per training sequence', '256')
    .option('--batch-tokens <n>', 'tokens per optimizer step (effective batch; default 16 sequences)')
    .option('--micro-batch-tokens <n>', 'tokens per forward/backward pass; the rest is gradient accumulation (default min(batch, 8192))')
    .option('--steps <n>', 'optimizer steps')
    .option('--tokens <n>', 'token budget instead of --steps')
    .option('--lr <x>', 'peak learning rate', '3e-4')
    .option('--min-lr <x>', 'floor of the cosine or wsd decay (default lr/10)')
    .option('--warmup <n>', 'linear warmup steps (default 5% of the steps, at most 1000)')
    .option('--schedule <kind>', 'cosine, constant or wsd (warmup, constant, linear decay over the last 20% of the steps)', 'cosine')
    .option('--clip <x>', 'global gradient-norm clip (0: none)', '1.0')
    .option('--weight-decay <x>', 'AdamW decoupled weight decay (matrices only)', '0.1')
    .option('--beta1 <x>', 'AdamW beta1', '0.9')
    .option('--beta2 <x>', 'AdamW beta2', '0.95')
    .option('--eval-interval <n>', 'validate every N steps (0: at the end only)', '100')
    .option('--eval-tokens <n>', 'validation tokens per evaluation', '32768')
    .option('--checkpoint-interval <n>', 'checkpoint every N steps', '200')
    .option('--keep <n>', 'checkpoints kept', '2')
    .option('--seed <n>', 'seed of the initial weights and the data order', '1')
    .option('-t, --threads <n>', 'threads (default: one per core)')
    .option('--recompute', 'recompute block activations in backward (less memory, ~30% slower)', false)
    .option('--init-from <path>', 'start from these weights (HF folder or .gguf) instead of random ones')
    .option('--resume', 'continue from the newest checkpoint in --out (bit-identical to an uninterrupted run)', false)
    .option('--max-minutes <x>', 'checkpoint and stop after this much training time (resume continues)')
    .option('--no-vocab-from-data', "keep the config's vocabulary size instead of the dataset tokenizer's")
    .option('--no-progress', 'no progress bar (log lines instead)')
    .action(async (o: PretrainCli) => {
      const model = resolveModelConfig(o.modelConfig);
      if (o.vocabFromData) {
        const ds = openTokenDataset(o.data);
        model.vocabSize = ds.meta.vocabSize;
        ds.close();
      }
      const num = (name: string, v: string | undefined, min: number, max = Infinity) => numberOption(name, v, min, max);
      if (o.steps === undefined && o.tokens === undefined) throw new Error('give --steps or --tokens');
      if (o.schedule !== 'cosine' && o.schedule !== 'constant' && o.schedule !== 'wsd') throw new Error(`--schedule must be cosine, constant or wsd, got '${o.schedule}'`);
      const rt = await Runtime.create({ threads: intOption('threads', o.threads, 1) });
      const display = trainProgress(rt, o.progress);
      try {
        const settings = {
          model,
          data: o.data,
          out: o.out,
          seqLen: intOption('seq-len', o.seqLen, 2)!,
          batchTokens: intOption('batch-tokens', o.batchTokens, 1),
          microBatchTokens: intOption('micro-batch-tokens', o.microBatchTokens, 1),
          steps: intOption('steps', o.steps, 1),
          tokenBudget: intOption('tokens', o.tokens, 1),
          lr: num('lr', o.lr, 0)!,
          minLr: num('min-lr', o.minLr, 0),
          warmupSteps: intOption('warmup', o.warmup, 0),
          schedule: o.schedule as 'cosine' | 'constant' | 'wsd',
          clip: num('clip', o.clip, 0)!,
          adamw: { weightDecay: num('weight-decay', o.weightDecay, 0)!, beta1: num('beta1', o.beta1, 0, 0.999999)!, beta2: num('beta2', o.beta2, 0, 0.999999)! },
          evalInterval: intOption('eval-interval', o.evalInterval, 0)!,
          evalTokens: intOption('eval-tokens', o.evalTokens, 0)!,
          checkpointInterval: intOption('checkpoint-interval', o.checkpointInterval, 1)!,
          keepCheckpoints: intOption('keep', o.keep, 1)!,
          seed: intOption('seed', o.seed, 0)!,
          recompute: o.recompute,
          initFrom: o.initFrom,
          resume: o.resume,
          maxSeconds: o.maxMinutes !== undefined ? num('max-minutes', o.maxMinutes, 0)! * 60 : undefined,
        };
        const onEvent = (e: TrainEvent) => (e.type === 'cleanup' ? e.notes.forEach((n) => console.error(n)) : display.onEvent(e));
        const r = await pretrain(rt, { ...settings, onEvent });
        display.stop();
        const report = await writeRunReport(o.out, { title: 'yi pretrain', settings: { ...settings, threads: rt.threads, kernels: rt.flavor } });
        console.log(
          `${r.stoppedEarly ? 'stopped (time limit) at' : 'done:'} step ${r.steps}, ${r.tokens} tokens, train loss ${r.finalLoss.toFixed(4)}` +
            `${r.valLoss !== undefined ? `, validation loss ${r.valLoss.toFixed(4)}` : ''}, ${Math.round(r.tokensPerSecond)} tokens/s`,
        );
        if (!r.stoppedEarly) console.log(`model: ${r.modelDir}  (try: ${yiCommand()} generate -m ${shellPath(r.modelDir, userCwd())} -p "The" -n 40)`);
        else console.log(`continue with the same command and --resume`);
        console.log(`log: ${r.logPath}\nreport: ${report.html}`);
      } finally {
        display.stop();
        await rt.close();
      }
    });
}

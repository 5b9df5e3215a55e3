// `yi recipe`: the whole Yi recipe at laptop scale on bundled data (what `npm start` runs).
import type { Command } from 'commander';
import { join } from 'node:path';
import { Runtime } from '../runtime/runtime.js';
import { secs } from '../recipe/budget.js';
import { chatCommand, chatModelKind, generateCommand, modelKind } from '../recipe/next-steps.js';
import { runRecipe } from '../recipe/recipe.js';
import { SCALES, type ScaleName } from '../recipe/scales.js';
import { shellPath } from '../report/shell.js';
import { userCwd, yiCommand } from './invocation.js';
import { intOption, numberOption } from './model-options.js';
import { recipeDisplay } from './recipe-display.js';

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
}

export function registerRecipe(program: Command): void {
  program
    .command('recipe')
    .description('the Yi recipe end to end on bundled data: cleaning cascade, tokenizer, pretraining, chat finetuning, samples, one report')
    .option('--scale <name>', `tiny (about a minute), small (the demo, about 10 minutes on 2 cores) or medium`, 'small')
    .option('--minutes <x>', 'wall-clock budget of the whole recipe (pretraining gets what is left and trains by the clock; default per scale)')
    .option('--steps <n>', 'train exactly this many steps instead of for the time left (the same run on any machine)')
    .option('--data <paths...>', 'your own raw corpus (JSONL, Parquet, text files or folders) instead of the bundled one')
    .option('--out <dir>', 'output folder (default ./runs/<timestamp>)')
    .option('-t, --threads <n>', 'threads (default: one per core)')
    .option('--sft-share <x>', 'share of the time after the data stages given to chat finetuning instead of pretraining (0: none; default per scale)')
    .option('--seed <n>', 'seed of the corpus, the scorers, the weights and the data order', '1')
    .option('--resume', 'continue an interrupted recipe in --out from its last finished stage and checkpoint', false)
    .option('--no-progress', 'no progress bars (log lines instead)')
    .action(async (o: { scale: string; minutes?: string; steps?: string; data?: string[]; out?: string; threads?: string; seed: string; resume: boolean; progress: boolean; sftShare?: string }) => {
      if (!(o.scale in SCALES)) throw new Error(`--scale must be one of ${Object.keys(SCALES).join(', ')}, got '${o.scale}'`);
      if (o.resume && !o.out) throw new Error('--resume needs the --out folder of the run to continue');
      const minutes = numberOption('minutes', o.minutes, 0.01, 1e6);
      const steps = intOption('steps', o.steps, 1);
      const out = o.out ?? join('runs', timestamp());
      const rt = await Runtime.create({ threads: intOption('threads', o.threads, 1) });
      const display = recipeDisplay(rt, o.progress);
      const command = yiCommand();
      const cwd = userCwd();
      try {
        console.error(`yi recipe --scale ${o.scale}: output in ${shellPath(out, cwd)}`);
        const r = await runRecipe(rt, { out, scale: o.scale as ScaleName, minutes, steps, data: o.data, threads: rt.threads, seed: intOption('seed', o.seed, 0), resume: o.resume, command, sftShare: numberOption('sft-share', o.sftShare, 0, 0.99), onEvent: display.onEvent });
        display.finish();
        const s = r.state;
        const scale = SCALES[s.settings.scale];
        console.log('\nSamples:');
        for (const x of s.samples ?? []) console.log(`  ${JSON.stringify(x.prompt)} -> ${JSON.stringify(x.prompt + x.text)}`);
        console.log(`\nvalidation loss ${s.pretrain?.valLoss?.toFixed(3) ?? '-'} (train ${s.pretrain?.finalLoss?.toFixed(3) ?? '-'}), ${secs(s.budget!.usedSeconds)} in all`);
        const b = s.budget!;
        if (b.overSeconds > 0) {
          console.log(`over budget: ${secs(b.usedSeconds)} against the ${secs(b.seconds)} asked for (--minutes ${s.settings.minutes}), because:`);
          for (const reason of b.reasons) console.log(`  - ${reason}`);
        } else {
          console.log(`within budget: ${secs(b.usedSeconds)} of ${secs(b.seconds)} (--minutes ${s.settings.minutes})`);
        }
        console.log(`report: ${shellPath(r.report.html, cwd)}`);
        const model = shellPath(r.modelDir, cwd);
        console.log(`model:  ${model} is ${modelKind(s)}`);
        console.log(`try:    ${generateCommand(command, model, s.samples?.[0]?.prompt ?? scale.prompts[0]!, scale.sampleTokens)}`);
        const chatKind = chatModelKind(s);
        if (r.chatModelDir && chatKind) {
          const chat = shellPath(r.chatModelDir, cwd);
          console.log(`chat:   ${chat} is ${chatKind}`);
          console.log(`try:    ${chatCommand(command, chat)}`);
        }
      } finally {
        display.finish();
        await rt.close();
      }
    });
}

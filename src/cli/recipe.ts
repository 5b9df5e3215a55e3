// `yi recipe`: the whole Yi recipe at laptop scale on bundled data (what `npm start` runs).
import type { Command } from 'commander';
import { join, relative } from 'node:path';
import { Runtime } from '../runtime/runtime.js';
import { runRecipe, type RecipeEvent } from '../recipe/recipe.js';
import { SCALES, type ScaleName } from '../recipe/scales.js';
import { intOption, numberOption } from './model-options.js';
import { trainProgress } from './train-progress.js';

const STAGE_TITLES: Record<string, string> = {
  corpus: '1/7 raw corpus',
  scorers: '2/7 learned scorers (perplexity, quality, coherence, safety)',
  clean: '3/7 cleaning cascade (Yi Figure 1 order)',
  tokenizer: '4/7 bilingual BPE tokenizer (Yi settings)',
  tokens: '5/7 token shards',
  pretrain: '6/7 pretraining',
  samples: '7/7 samples',
};

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
}

export function registerRecipe(program: Command): void {
  program
    .command('recipe')
    .description('the Yi recipe end to end on bundled data: cleaning cascade, tokenizer, pretraining, samples, one report')
    .option('--scale <name>', `tiny (about a minute), small (the demo, about 10 minutes on 2 cores) or medium`, 'small')
    .option('--minutes <x>', 'wall-clock budget of the whole recipe (pretraining gets what is left; default per scale)')
    .option('--data <paths...>', 'your own raw corpus (JSONL, Parquet, text files or folders) instead of the bundled one')
    .option('--out <dir>', 'output folder (default ./runs/<timestamp>)')
    .option('-t, --threads <n>', 'threads (default: one per core)')
    .option('--seed <n>', 'seed of the corpus, the scorers, the weights and the data order', '1')
    .option('--resume', 'continue an interrupted recipe in --out from its last finished stage and checkpoint', false)
    .option('--no-progress', 'no progress bars (log lines instead)')
    .action(async (o: { scale: string; minutes?: string; data?: string[]; out?: string; threads?: string; seed: string; resume: boolean; progress: boolean }) => {
      if (!(o.scale in SCALES)) throw new Error(`--scale must be one of ${Object.keys(SCALES).join(', ')}, got '${o.scale}'`);
      if (o.resume && !o.out) throw new Error('--resume needs the --out folder of the run to continue');
      const out = o.out ?? join('runs', timestamp());
      const rt = await Runtime.create({ threads: intOption('threads', o.threads, 1) });
      const display = trainProgress(rt, o.progress);
      let lastPipelineLine = '';
      const onEvent = (e: RecipeEvent) => {
        if (e.type === 'stage') {
          const title = STAGE_TITLES[e.stage] ?? e.stage;
          if (e.status === 'start') console.error(`\n== ${title}`);
          else if (e.status === 'skip') console.error(`== ${title}: done in an earlier run`);
          else console.error(`   ${e.detail ? e.detail + ' ' : ''}(${e.seconds!.toFixed(1)} s)`);
        } else if (e.type === 'pipeline') {
          const line = `   ${e.progress.step}: ${e.progress.done}/${e.progress.jobs} jobs, ${e.progress.records} records`;
          if (line !== lastPipelineLine && (e.progress.done === e.progress.jobs || !process.stderr.isTTY)) console.error(line);
          lastPipelineLine = line;
        } else if (e.type === 'train') {
          display.onEvent(e.event);
        } else {
          console.error(`   ${e.line}`);
        }
      };
      try {
        console.error(`yi recipe --scale ${o.scale}: output in ${out}`);
        const r = await runRecipe(rt, {
          out,
          scale: o.scale as ScaleName,
          minutes: numberOption('minutes', o.minutes, 0.1, 1e6),
          data: o.data,
          threads: rt.threads,
          seed: intOption('seed', o.seed, 0),
          resume: o.resume,
          onEvent,
        });
        display.stop();
        const s = r.state;
        console.log('\nSamples:');
        for (const x of s.samples ?? []) console.log(`  ${JSON.stringify(x.prompt)} -> ${JSON.stringify(x.prompt + x.text)}`);
        console.log(`\nvalidation loss ${s.pretrain?.valLoss?.toFixed(3) ?? '-'} (train ${s.pretrain?.finalLoss?.toFixed(3) ?? '-'}), ${Object.values(s.done).reduce((a, b) => a + b, 0).toFixed(0)} s in all`);
        console.log(`report: ${relative(process.cwd(), r.report.html) || r.report.html}`);
        console.log(`next:   yi chat --model ${relative(process.cwd(), r.modelDir) || r.modelDir}`);
      } finally {
        display.stop();
        await rt.close();
      }
    });
}

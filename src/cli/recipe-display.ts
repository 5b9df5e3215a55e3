// What `yi recipe` prints on stderr while it runs: a title per stage, the cleaning stage's and the
// pretraining's progress (a bar on a terminal, sparse lines without one), each stage's summary. One
// status line carries every bar, and it is erased before anything else is printed.
import type { RecipeEvent } from '../recipe/recipe.js';
import type { Runtime } from '../runtime/runtime.js';
import { pipelineProgress } from './pipeline-progress.js';
import { StatusLine } from './status-line.js';
import { trainProgress } from './train-progress.js';
import { sftProgress } from './sft-progress.js';

const STAGE_TITLES: Record<string, string> = {
  corpus: '1/8 raw corpus',
  scorers: '2/8 learned scorers (perplexity, quality, coherence, safety)',
  clean: '3/8 cleaning cascade (Yi Figure 1 order)',
  tokenizer: '4/8 bilingual BPE tokenizer (Yi settings)',
  tokens: '5/8 token shards',
  pretrain: '6/8 pretraining',
  sft: '7/8 chat finetuning (yi sft on the chat-facts set)',
  samples: '8/8 samples',
};

export interface RecipeDisplay {
  onEvent: (e: RecipeEvent) => void;
  /** Erases any live bar: call before printing anything else (stdout included). */
  finish: () => void;
  line: StatusLine;
}

export function recipeDisplay(rt: Pick<Runtime, 'threads' | 'flavor'>, progress: boolean, line: StatusLine = new StatusLine()): RecipeDisplay {
  const pipeline = pipelineProgress(progress, { line, prefix: '   ' });
  const train = trainProgress(rt, progress, line);
  const chat = sftProgress(rt, progress, line);
  const onEvent = (e: RecipeEvent) => {
    switch (e.type) {
      case 'stage': {
        const title = STAGE_TITLES[e.stage] ?? e.stage;
        line.clear();
        if (e.status === 'start') line.log(`\n== ${title}`);
        else if (e.status === 'skip') line.log(`== ${title}: done in an earlier run`);
        else line.log(`   ${e.detail ? e.detail + ' ' : ''}(${e.seconds!.toFixed(1)} s)`);
        break;
      }
      case 'pipeline':
        pipeline.onProgress(e.progress);
        break;
      case 'train':
        train.onEvent(e.event);
        break;
      case 'sft':
        chat.onEvent(e.event);
        break;
      case 'log':
        line.log(`   ${e.line}`);
        break;
    }
  };
  return { onEvent, finish: () => line.clear(), line };
}

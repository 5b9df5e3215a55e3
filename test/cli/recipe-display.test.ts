// What `yi recipe` shows while it runs. On a terminal: the bars of the cleaning and the pretraining
// live on one status line that is erased before the next lines, so nothing printed after a bar
// (stage titles, the samples on stdout) is overwritten by it. Without a terminal: no per-phase spam
// from the cleaning stage, only a line every 10 s of it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recipeDisplay } from '../../src/cli/recipe-display.js';
import { StatusLine } from '../../src/cli/status-line.js';
import type { RecipeEvent } from '../../src/recipe/recipe.js';
import { FakeClock, FakeLog, FakeTerminal } from './fake-terminal.js';

const rt = { threads: 2, flavor: 'relaxed-simd' as const };

/** The events of a small recipe: the cleaning's phases and jobs, then pretraining. `tick` runs between events. */
function recipeEvents(tick: () => void, emit: (e: RecipeEvent) => void): void {
  emit({ type: 'stage', stage: 'clean', status: 'start' });
  let records = 0;
  for (let phase = 1; phase <= 5; phase++) {
    for (let done = 0; done <= 4; done++) {
      // The first phase reads the input (1216 documents in 4 tasks); the later ones do not add to it.
      if (phase === 1 && done > 0) records += 304;
      tick();
      emit({ type: 'pipeline', progress: { step: `phase ${phase}/5`, records, done, jobs: 4 } });
    }
  }
  emit({ type: 'stage', stage: 'clean', status: 'done', seconds: 7, detail: '1216 documents in, 519 kept (42.7%)' });
  emit({ type: 'stage', stage: 'pretrain', status: 'start' });
  emit({ type: 'train', event: { type: 'start', step: 0, steps: 30, parameters: 4.82e6, batchTokens: 4096, microBatches: 1, unigramLoss: 6.8 } });
  for (let step = 1; step <= 30; step++) {
    tick();
    if (step === 25) emit({ type: 'train', event: { type: 'decay', step: 24, plannedSteps: 30, elapsedSeconds: 48, budgetSeconds: 60 } });
    emit({ type: 'train', event: { type: 'train', step, steps: 30, tokens: step * 4096, loss: 7 - step / 10, lr: 3e-3, gradNorm: 1, tokensPerSecond: 3000, elapsedSeconds: step } });
  }
  emit({ type: 'train', event: { type: 'val', step: 30, tokens: 30 * 4096, valLoss: 5.4 } });
  emit({ type: 'stage', stage: 'pretrain', status: 'done', seconds: 60, detail: '30 steps' });
  emit({ type: 'stage', stage: 'samples', status: 'start' });
  emit({ type: 'stage', stage: 'samples', status: 'done', seconds: 1 });
}

test('on a terminal the bars never overwrite what follows them', () => {
  const term = new FakeTerminal();
  const clock = new FakeClock();
  const display = recipeDisplay(rt, true, new StatusLine(term, { now: clock.now }));
  let sawBar = false;
  recipeEvents(
    () => {
      clock.advance(250);
      sawBar ||= /█/.test(term.screen().at(-1)!);
    },
    display.onEvent,
  );
  assert.ok(sawBar, 'a bar was drawn while the stages ran');
  display.finish();
  // What the CLI prints next, on stdout, into the same terminal.
  term.write('\nSamples:\n  "The" -> "The end"\n');
  assert.deepEqual(term.screen(), [
    '',
    '== 3/8 cleaning cascade (Yi Figure 1 order)',
    '   1216 documents in, 519 kept (42.7%) (7.0 s)',
    '',
    '== 6/8 pretraining',
    'training from scratch: 4.82M parameters, 4096 tokens per step (1 micro-batch), 2 thread(s), kernels relaxed-simd; unigram baseline 6.800 nats/token',
    'step 25: learning-rate decay starts, 48s into the 1m00s budget (about 30 steps in all)',
    '   30 steps (60.0 s)',
    '',
    '== 8/8 samples',
    '   (1.0 s)',
    '',
    'Samples:',
    '  "The" -> "The end"',
    '',
  ]);
});

test('a line printed while a bar is live goes above it, and the bar comes back below', () => {
  const term = new FakeTerminal();
  const line = new StatusLine(term, { now: () => 0 });
  line.update(`step 3/10 ${'█'.repeat(6)}`, true);
  line.log('checkpoint written');
  assert.deepEqual(term.screen(), ['checkpoint written', `step 3/10 ${'█'.repeat(6)}`]);
  line.update('step 4/10', true);
  assert.deepEqual(term.screen(), ['checkpoint written', 'step 4/10']);
  line.clear();
  assert.deepEqual(term.screen(), ['checkpoint written', '']);
  // Wider than the terminal: cut to one row, so that \r still returns to its start.
  term.columns = 20;
  line.update('x'.repeat(50), true);
  assert.equal(term.screen().at(-1), 'x'.repeat(19));
});

test('without a terminal the cleaning stage prints no per-phase lines when it is quick, and one every 10 s when it is not', () => {
  const quick = new FakeLog();
  const clock = new FakeClock();
  const display = recipeDisplay(rt, true, new StatusLine(quick, { now: clock.now }));
  recipeEvents(() => clock.advance(100), display.onEvent);
  const cleaning = quick.lines().slice(0, quick.lines().findIndex((l) => l.startsWith('== 6/8')));
  assert.deepEqual(cleaning, ['== 3/8 cleaning cascade (Yi Figure 1 order)', '   1216 documents in, 519 kept (42.7%) (7.0 s)']);

  const slow = new FakeLog();
  const slowClock = new FakeClock();
  const slowDisplay = recipeDisplay(rt, true, new StatusLine(slow, { now: slowClock.now }));
  recipeEvents(() => slowClock.advance(3000), slowDisplay.onEvent);
  const progress = slow.lines().filter((l) => /^ {3}phase \d\/5: /.test(l));
  // 25 events 3 s apart: a line at most every 10 s, the document count that of the input, not of every phase.
  assert.ok(progress.length >= 6 && progress.length <= 8, progress.join('\n'));
  assert.match(progress.at(-1)!, /^ {3}phase 5\/5: \d\/4 jobs, 1216 documents read, \d+\/s$/);
});

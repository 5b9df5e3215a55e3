// Pretraining for a time budget, on a fake clock (seconds charged per step and per evaluation): the run
// follows the planner (fewer steps when steps get slower, a logged decay start, the last rate at minLr,
// the end within the budget), a run that crashes at a checkpoint and resumes makes the same decisions, to
// the bit, and a run killed after its checkpoint counts the time it trained since (its heartbeat).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { preset } from '../../src/model/config.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { BudgetError } from '../../src/train/budget.js';
import { HEARTBEAT_FILE } from '../../src/train/heartbeat.js';
import { pretrain, type PretrainOptions, type ResumedTime, type TrainEvent } from '../../src/train/pretrain.js';
import { tokenizeCorpus } from '../../src/train/tokenize.js';
import { corpusTexts, writeCorpus, writeTinyTokenizer } from './tokenize-fixtures.js';

let tmp: string;
let data: string;
let rt: Runtime;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'yi-pretrain-budget-'));
  const tok = writeTinyTokenizer(tmp);
  data = join(tmp, 'data');
  await tokenizeCorpus({ tokenizer: tok, inputs: writeCorpus(tmp, corpusTexts(600, 5)), out: data, valFraction: 0.05, threads: 1 });
  rt = await Runtime.create({ threads: 2, arenaBytes: 256 << 20 });
});
after(async () => {
  await rt.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A clock that moves only when the run reports work: `stepCost(step)` per step, 0.5 s per evaluation. */
function fakeClock(stepCost: (step: number) => number) {
  let t = 0;
  return {
    now: () => t,
    onEvent: (e: TrainEvent) => {
      if (e.type === 'train') t += stepCost(e.step);
      else if (e.type === 'val') t += 0.5;
    },
  };
}

const options = (out: string, clock: ReturnType<typeof fakeClock>, extra: Partial<PretrainOptions> = {}): PretrainOptions => ({
  model: { ...preset('tiny'), vocabSize: 96 },
  data,
  out,
  seqLen: 32,
  batchTokens: 4 * 32,
  lr: 3e-3,
  warmupSteps: 2,
  evalTokens: 256,
  seed: 3,
  timeBudget: { seconds: 40, stepSeconds: 1, evaluations: 4, checkpoints: 4 },
  clock: clock.now,
  onEvent: clock.onEvent,
  ...extra,
});

function records(out: string): Record<string, unknown>[] {
  return readFileSync(join(out, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Everything but the real throughput (the fake clock's elapsed times are part of the decisions). */
function trajectory(out: string): string[] {
  return records(out).map((r) => JSON.stringify({ ...r, tokens_per_s: undefined }));
}

const halving = (step: number) => (step <= 8 ? 1 : 2);

test('a time budget: steps follow the clock, the decay starts by time, the run ends within it', async () => {
  const steady = await pretrain(rt, options(join(tmp, 'steady'), fakeClock(() => 1)));
  const slowed = await pretrain(rt, options(join(tmp, 'slowed'), fakeClock(halving)));
  assert.ok(slowed.steps < steady.steps - 3, `${slowed.steps} steps against ${steady.steps}`);
  for (const [name, r] of [['steady', steady], ['slowed', slowed]] as const) {
    assert.ok(r.budget!.elapsedSeconds <= 40, `${name}: ended at ${r.budget!.elapsedSeconds} s of 40`);
    assert.equal(r.budget!.overReason, undefined);
    const log = records(join(tmp, name));
    const decay = log.filter((x) => x.type === 'decay');
    assert.equal(decay.length, 1, `${name}: one decay start`);
    assert.ok((decay[0]!.elapsed_s as number) >= 0.8 * (40 - 0.5), `${name}: decay at ${decay[0]!.elapsed_s} s`);
    const train = log.filter((x) => x.type === 'train');
    assert.equal(train.length, r.steps);
    assert.ok(Math.abs((train[train.length - 1]!.lr as number) - 3e-4) < 1e-12, `${name}: the last rate is minLr`);
    assert.equal(train[train.length - 1]!.planned_steps, r.steps);
    assert.ok(log.some((x) => x.type === 'val' && x.step === r.steps), `${name}: a final evaluation`);
    assert.ok(existsSync(join(tmp, name, 'model', 'model.safetensors')));
  }
});

/** Runs to a crash two steps after the second checkpoint (the log runs ahead of the checkpoint); returns the crashed run's clock. */
async function crashAfterCheckpoint(out: string): Promise<ReturnType<typeof fakeClock>> {
  const first = fakeClock(halving);
  let checkpoints = 0;
  await assert.rejects(
    pretrain(rt, options(out, first, {
      onEvent: (e) => {
        first.onEvent(e);
        if (e.type === 'checkpoint') checkpoints++;
        if (checkpoints === 2 && e.type === 'train' && e.step % 2 === 0) throw new Error('crash');
      },
    })),
    /crash/,
  );
  return first;
}

/** The elapsed seconds saved in the newest checkpoint of a run. */
function checkpointElapsed(out: string): number {
  const dir = join(out, 'checkpoints', readdirSync(join(out, 'checkpoints')).sort().at(-1)!);
  return (JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8')) as { elapsedSeconds: number }).elapsedSeconds;
}

test('a budgeted run that crashes and resumes makes the same decisions and ends with the same bits', async () => {
  const whole = join(tmp, 'whole');
  await pretrain(rt, options(whole, fakeClock(halving)));
  const out = join(tmp, 'crashed');
  await crashAfterCheckpoint(out);
  // No time lost after the checkpoint (as when the kill comes right at it): the run continues as if never stopped.
  unlinkSync(join(out, HEARTBEAT_FILE));
  const again = fakeClock(halving);
  const events: string[] = [];
  const r = await pretrain(rt, options(out, again, { resume: true, onEvent: (e) => (again.onEvent(e), events.push(e.type)) }));
  assert.ok(events.includes('train'));
  assert.ok(r.budget!.elapsedSeconds <= 40);
  assert.deepEqual(trajectory(out), trajectory(whole));
  assert.deepEqual(readFileSync(join(out, 'model', 'model.safetensors')), readFileSync(join(whole, 'model', 'model.safetensors')));
});

test('a resume counts the time trained after the last checkpoint (the heartbeat), so a killed run still keeps its budget', async () => {
  const out = join(tmp, 'heartbeat');
  const first = await crashAfterCheckpoint(out);
  const atCheckpoint = checkpointElapsed(out);
  const beat = JSON.parse(readFileSync(join(out, HEARTBEAT_FILE), 'utf8')) as { step: number; elapsedSeconds: number };
  // The heartbeat is at most HEARTBEAT_SECONDS behind the crash, and past the checkpoint.
  assert.ok(beat.elapsedSeconds > atCheckpoint && beat.elapsedSeconds <= first.now(), `checkpoint ${atCheckpoint} s, heartbeat ${beat.elapsedSeconds} s, crash at ${first.now()} s`);

  const again = fakeClock(halving);
  let resumed: ResumedTime | undefined;
  const r = await pretrain(rt, options(out, again, {
    resume: true,
    onEvent: (e) => {
      again.onEvent(e);
      if (e.type === 'start') resumed = e.resumedSeconds;
    },
  }));
  assert.deepEqual(resumed, { seconds: beat.elapsedSeconds, checkpointSeconds: atCheckpoint, heartbeatSeconds: beat.elapsedSeconds, heartbeatFile: join(out, HEARTBEAT_FILE) });
  assert.equal(r.resumedSeconds, beat.elapsedSeconds);
  // The budget's clock went on from the heartbeat, not from the checkpoint, and the run ended within it.
  assert.equal(r.budget!.elapsedSeconds, beat.elapsedSeconds + again.now());
  assert.ok(r.budget!.elapsedSeconds <= 40, `ended at ${r.budget!.elapsedSeconds} s of 40`);
  // Counting the lost time leaves fewer steps than the same crash resumed as if none was lost.
  const uncounted = join(tmp, 'heartbeat-lost');
  await crashAfterCheckpoint(uncounted);
  unlinkSync(join(uncounted, HEARTBEAT_FILE));
  const lost = await pretrain(rt, options(uncounted, fakeClock(halving), { resume: true }));
  assert.ok(r.steps < lost.steps, `${r.steps} steps with the lost time counted, ${lost.steps} without`);
});

test('a damaged heartbeat is refused on resume, naming the file and the field', async () => {
  const out = join(tmp, 'heartbeat');
  writeFileSync(join(out, HEARTBEAT_FILE), JSON.stringify({ format: 'yi-ts-heartbeat', step: 3, elapsedSeconds: -1 }));
  await assert.rejects(pretrain(rt, options(out, fakeClock(halving), { resume: true })), /heartbeat\.json: field elapsedSeconds must be a number of seconds >= 0, got -1; delete the file/);
});

test('a finished budgeted run resumed does nothing more; a checkpoint without the planner state is refused', async () => {
  const out = join(tmp, 'slowed');
  const before = trajectory(out);
  const r = await pretrain(rt, options(out, fakeClock(halving), { resume: true }));
  assert.deepEqual(trajectory(out), before);
  assert.equal(r.steps, before.filter((l) => l.includes('"type":"train"')).length);
  const ckpt = join(out, 'checkpoints', readdirSync(join(out, 'checkpoints')).sort().at(-1)!, 'trainer_state.json');
  const state = JSON.parse(readFileSync(ckpt, 'utf8')) as Record<string, unknown>;
  delete state.budget;
  writeFileSync(ckpt, JSON.stringify(state));
  await assert.rejects(pretrain(rt, options(out, fakeClock(halving), { resume: true })), (e: unknown) => e instanceof BudgetError && /trainer_state\.json: the run has a time budget but the checkpoint has no field budget/.test(e.message));
});

test('a time budget with a step count, or with a schedule that cannot follow it, is refused', async () => {
  const clock = fakeClock(() => 1);
  await assert.rejects(pretrain(rt, options(join(tmp, 'both'), clock, { steps: 10 })), (e: unknown) => e instanceof BudgetError && /step count .* or a timeBudget, not both/.test(e.message));
  await assert.rejects(pretrain(rt, options(join(tmp, 'cosine'), clock, { schedule: 'cosine' })), /time budget needs the wsd schedule/);
  await assert.rejects(pretrain(rt, options(join(tmp, 'nowarmup'), clock, { warmupSteps: undefined, timeBudget: { seconds: 10 } })), /needs warmupSteps, or timeBudget\.stepSeconds/);
});

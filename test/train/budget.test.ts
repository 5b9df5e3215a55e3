// The time-budget planner against fake clocks: it keeps the budget whatever the throughput does, starts
// the WSD decay by the clock, spaces evaluations and checkpoints by their cost, and its saved state
// lets a resumed run make the same decisions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BudgetError, TimeBudget, type TimeBudgetOptions } from '../../src/train/budget.js';

const LR = { lr: 1e-3, minLr: 1e-4, warmupSteps: 5 };

interface Run {
  steps: number;
  elapsed: number;
  lrs: number[];
  planned: number[];
  evals: number;
  checkpoints: number;
  decayStep?: number;
  decayElapsed?: number;
  budget: TimeBudget;
}

/**
 * Drives the planner the way pretrain does, on a fake clock: `stepCost(elapsed)` seconds per step,
 * fixed costs per evaluation and checkpoint. `stopAfter` ends early (a crash) to test resuming.
 */
function simulate(budget: TimeBudget, stepCost: (elapsed: number) => number, o: { evalCost?: number; checkpointCost?: number; start?: { step: number; elapsed: number }; stopAfter?: number } = {}): Run {
  const evalCost = o.evalCost ?? 0.25;
  const checkpointCost = o.checkpointCost ?? 0.125;
  let step = o.start?.step ?? 0;
  let elapsed = o.start?.elapsed ?? 0;
  const run: Run = { steps: 0, elapsed: 0, lrs: [], planned: [], evals: 0, checkpoints: 0, budget };
  for (;;) {
    const p = budget.plan(step, elapsed);
    if (p.decayStarts) {
      run.decayStep = step;
      run.decayElapsed = elapsed;
    }
    const cost = stepCost(elapsed);
    elapsed += cost;
    budget.stepDone(cost);
    step++;
    run.lrs.push(p.lr);
    run.planned.push(p.plannedSteps);
    if (budget.shouldEvaluate(step, elapsed, p.last)) {
      budget.evaluated(elapsed, evalCost);
      elapsed += evalCost;
      run.evals++;
    }
    if (budget.shouldCheckpoint(step, elapsed, p.last)) {
      budget.checkpointStarts(elapsed);
      elapsed += checkpointCost;
      budget.checkpointed(checkpointCost);
      run.checkpoints++;
    }
    if (p.last || step === o.stopAfter) break;
    assert.ok(step < 100_000, 'the run ends');
  }
  run.steps = step;
  run.elapsed = elapsed;
  return run;
}

const options = (o: Partial<TimeBudgetOptions> = {}): TimeBudgetOptions => ({ seconds: 200, stepSeconds: 1, ...o });

test('steady throughput: warmup, constant rate, a decay started at 80% of the time for steps, the end within the budget', () => {
  const r = simulate(new TimeBudget(options(), LR, 0.25), () => 1);
  assert.ok(r.elapsed <= 200, `ended at ${r.elapsed} s of 200`);
  assert.ok(r.elapsed >= 190, `used the budget: ${r.elapsed} s`);
  assert.ok(r.steps > 170 && r.steps < 200, `${r.steps} steps`);
  assert.ok(r.decayElapsed! >= 156 && r.decayElapsed! < 162, `decay at ${r.decayElapsed} s`);
  // Warmup ramps to the peak, which holds until the decay; the decay only goes down and ends at minLr.
  assert.deepEqual(r.lrs.slice(0, 5), [1, 2, 3, 4, 5].map((k) => (LR.lr * k) / 5));
  assert.ok(r.lrs.slice(5, r.decayStep).every((x) => x === LR.lr));
  const decay = r.lrs.slice(r.decayStep);
  assert.ok(decay.every((x, i) => i === 0 || x < decay[i - 1]!), 'the decay falls at every step');
  assert.ok(decay[0]! < LR.lr);
  assert.equal(r.lrs[r.lrs.length - 1], LR.lr / 10);
  // With a steady step time the decay is close to a straight line (evaluations and checkpoints take
  // their time out of it, so the steps left are re-counted and the slope wobbles a little).
  const d = decay.map((x, i) => (i === 0 ? LR.lr - x : decay[i - 1]! - x));
  const mean = (LR.lr - LR.minLr) / d.length;
  assert.ok(d.every((x) => Math.abs(x - mean) < 0.25 * mean), `a near-linear decay: ${d.map((x) => x.toExponential(2)).join(' ')}`);
});

test('throughput that halves mid-run: fewer steps, the decay still starts by the clock, the run still ends in time', () => {
  const steady = simulate(new TimeBudget(options(), LR, 0.25), () => 1);
  const slowed = simulate(new TimeBudget(options(), LR, 0.25), (t) => (t < 60 ? 1 : 2));
  assert.ok(slowed.steps < 0.75 * steady.steps, `${slowed.steps} steps against ${steady.steps}`);
  assert.ok(slowed.elapsed <= 200, `ended at ${slowed.elapsed} s`);
  assert.ok(slowed.elapsed >= 188, `used the budget: ${slowed.elapsed} s`);
  assert.ok(slowed.decayElapsed! >= 156 && slowed.decayElapsed! < 163, `decay at ${slowed.decayElapsed} s`);
  assert.equal(slowed.lrs[slowed.lrs.length - 1], LR.lr / 10);
  // The plan (what the progress display shows) came down as the steps slowed.
  assert.ok(slowed.planned[50]! > slowed.planned[100]!, `planned ${slowed.planned[50]} then ${slowed.planned[100]}`);
  // Slowing down during the decay: the decay steepens and the run overruns by less than one slow step.
  const late = simulate(new TimeBudget(options(), LR, 0.25), (t) => (t < 180 ? 1 : 2));
  assert.ok(late.elapsed <= 202, `ended at ${late.elapsed} s`);
  assert.equal(late.lrs[late.lrs.length - 1], LR.lr / 10);
  // Speeding up: more steps than planned at first, still within the budget.
  const faster = simulate(new TimeBudget(options(), LR, 0.25), (t) => (t < 60 ? 1 : 0.5));
  assert.ok(faster.steps > steady.steps && faster.elapsed <= 200, `${faster.steps} steps in ${faster.elapsed} s`);
});

test('evaluations and checkpoints are sized to the budget and to what they cost', () => {
  // Cheap: about ten of each over the run, the final ones included.
  const cheap = simulate(new TimeBudget(options({ seconds: 1000 }), LR, 0.25), () => 1);
  assert.ok(cheap.evals >= 9 && cheap.evals <= 11, `${cheap.evals} evaluations`);
  assert.ok(cheap.checkpoints >= 9 && cheap.checkpoints <= 11, `${cheap.checkpoints} checkpoints`);
  // An evaluation of 8 s in a 200 s budget: ten would take 40%; once measured they are spaced to 10% of
  // the time (the first comes before any is measured, the last ends the run).
  const dear = simulate(new TimeBudget(options(), LR, 0.25), () => 1, { evalCost: 8, checkpointCost: 4 });
  assert.ok(dear.evals <= 4, `${dear.evals} evaluations of 8 s`);
  assert.ok(dear.checkpoints <= 4, `${dear.checkpoints} checkpoints of 4 s`);
  assert.ok(dear.elapsed <= 200, `ended at ${dear.elapsed} s`);
  // Before the first evaluation is measured its cost is estimated from the step time (evalCostInSteps):
  // an evaluation worth 5 steps of 1 s is spaced at least 50 s apart from the start.
  const estimated = simulate(new TimeBudget(options(), LR, 5), () => 1, { evalCost: 5 });
  assert.ok(estimated.evals <= 4, `${estimated.evals} evaluations`);
});

test('the minimum step count wins over the budget and says so; the step cap ends a fast run early', () => {
  const b = new TimeBudget(options({ seconds: 10, minSteps: 30 }), LR, 0.25);
  const r = simulate(b, () => 1);
  assert.equal(r.steps, 30);
  assert.equal(r.lrs[29], LR.lr / 10);
  const s = b.summary(r.steps, r.elapsed, 4096);
  assert.ok(s.overSeconds > 20);
  assert.match(s.overReason!, /minimum of 30 steps did not fit in 10 s at the measured 4096 tokens\/s/);
  // Past the budget the run's length is the minimum's: evaluations and checkpoints spread over it, not one per step.
  assert.ok(r.checkpoints <= 12 && r.evals <= 12, `${r.checkpoints} checkpoints, ${r.evals} evaluations in 30 steps`);

  const capped = new TimeBudget(options({ maxSteps: 50 }), LR, 0.25);
  const c = simulate(capped, () => 0.5);
  assert.equal(c.steps, 50);
  assert.equal(c.decayStep, 40);
  assert.equal(c.lrs[49], LR.lr / 10);
  // The cap ends the run at about 25 s of the 200: evaluations and checkpoints spread over those.
  assert.ok(c.evals >= 8 && c.checkpoints >= 8, `${c.evals} evaluations, ${c.checkpoints} checkpoints in ${c.elapsed} s`);
  const cs = capped.summary(c.steps, c.elapsed, 4096);
  assert.equal(cs.overSeconds, 0);
  assert.equal(cs.overReason, undefined);
});

test('the saved state continues the same decisions (a resumed run)', () => {
  const cost = (t: number) => (t < 70 ? 1 : 1.5);
  const whole = simulate(new TimeBudget(options(), LR, 0.25), cost);
  for (const stopAfter of [30, 150]) {
    const first = simulate(new TimeBudget(options(), LR, 0.25), cost, { stopAfter });
    const resumed = new TimeBudget(options(), LR, 0.25);
    resumed.restore(JSON.parse(JSON.stringify(first.budget.state())), 'trainer_state.json');
    const rest = simulate(resumed, cost, { start: { step: first.steps, elapsed: first.elapsed } });
    assert.deepEqual([...first.lrs, ...rest.lrs], whole.lrs, `stopped after ${stopAfter}`);
  }
});

test('a damaged saved state is refused, naming the file and the field', () => {
  const b = new TimeBudget(options(), LR, 0.25);
  const good = b.state();
  assert.throws(() => b.restore(null, 'ckpt/trainer_state.json'), /ckpt\/trainer_state\.json: field budget must be an object, got null/);
  assert.throws(() => b.restore({ ...good, decayProgress: 2 }, 'f.json'), (e: unknown) => e instanceof BudgetError && /f\.json: field budget\.decayProgress must be a number from 0 to 1, got 2/.test(e.message));
  assert.throws(() => b.restore({ ...good, lastEvalAt: 'soon' }, 'f.json'), /field budget\.lastEvalAt must be a number from 0 to Infinity, got "soon"/);
  assert.throws(() => b.restore({ ...good, minStepsBound: 1 }, 'f.json'), /field budget\.minStepsBound must be true or false/);
  assert.throws(() => b.restore({ ...good, decayStart: 3 }, 'f.json'), /budget\.decayStart and budget\.decayFrom must be given together/);
});

test('bad budgets are refused with a BudgetError naming the field', () => {
  assert.throws(() => new TimeBudget({ seconds: 0 }, LR, 0), (e: unknown) => e instanceof BudgetError && /seconds must be a number > 0, got 0/.test(e.message));
  assert.throws(() => new TimeBudget({ seconds: 10, minSteps: 1.5 }, LR, 0), /minSteps must be a whole number > 0/);
  assert.throws(() => new TimeBudget({ seconds: 10, minSteps: 5, maxSteps: 4 }, LR, 0), /maxSteps \(4\) is below minSteps \(5\)/);
  assert.throws(() => new TimeBudget({ seconds: 10, decayFraction: 1.5 }, LR, 0), /decayFraction must be in \(0, 1\]/);
});

// Where a serving step's time goes at N concurrent requests: the engine's split (schedule, model
// step, sampling, and the rest of the wall time: event-loop turns and the callers' stream reading)
// and, inside the model step, each kernel's time, for decode-only steps and for steps with prompt
// chunks apart (a decode-only step at N requests multiplies every weight matrix by N tokens).
// Separate from the throughput figures: timers change what they time a little.
import type { LLMEngine, StepReport } from '../src/serve/engine.js';
import { KernelProfile } from '../src/runtime/profile.js';
import type { Runtime } from '../src/runtime/runtime.js';

interface Bucket {
  steps: number;
  tokens: number;
  scheduleMs: number;
  runMs: number;
  sampleMs: number;
  kernels: Map<string, { calls: number; ms: number }>;
}

export interface StepProfile {
  wallMs: number;
  decode: Bucket;
  mixed: Bucket;
}

const bucket = (): Bucket => ({ steps: 0, tokens: 0, scheduleMs: 0, runMs: 0, sampleMs: 0, kernels: new Map() });

/** Runs `load` with the engine's step hook and the runtime's kernel profile on; returns the split. */
export async function profileSteps(rt: Runtime, engine: LLMEngine, load: () => Promise<void>): Promise<StepProfile> {
  const prof: StepProfile = { wallMs: 0, decode: bucket(), mixed: bucket() };
  let current = new KernelProfile();
  rt.profile = current;
  engine.onStep = (r: StepReport) => {
    const b = r.promptTokens === 0 ? prof.decode : prof.mixed;
    b.steps++;
    b.tokens += r.tokens;
    b.scheduleMs += r.scheduleMs;
    b.runMs += r.runMs;
    b.sampleMs += r.sampleMs;
    for (const [k, v] of current.rows) {
      const e = b.kernels.get(k) ?? { calls: 0, ms: 0 };
      e.calls += v.calls;
      e.ms += v.ms;
      b.kernels.set(k, e);
    }
    current = new KernelProfile();
    rt.profile = current;
  };
  const t0 = performance.now();
  try {
    await load();
  } finally {
    prof.wallMs = performance.now() - t0;
    engine.onStep = undefined;
    rt.profile = undefined;
  }
  return prof;
}

/** Table rows: per step of each kind, ms and share of the model step, kernels largest first. */
export function profileRows(p: StepProfile): (string | number)[][] {
  const rows: (string | number)[][] = [];
  const all = [p.decode, p.mixed];
  const stepsMs = all.reduce((s, b) => s + b.scheduleMs + b.runMs + b.sampleMs, 0);
  rows.push(['wall', '', p.wallMs / 1e3, 's', `${p.decode.steps + p.mixed.steps} steps; outside the steps (event loop, stream readers): ${(((p.wallMs - stepsMs) / p.wallMs) * 100).toFixed(1)}%`]);
  for (const [name, b] of [['decode-only', p.decode], ['with prompt chunks', p.mixed]] as const) {
    if (b.steps === 0) continue;
    const per = (ms: number) => ms / b.steps;
    rows.push([name, 'steps', b.steps, '', `${(b.tokens / b.steps).toFixed(1)} tokens a step`]);
    rows.push([name, 'schedule', per(b.scheduleMs), 'ms/step', '']);
    rows.push([name, 'model step', per(b.runMs), 'ms/step', '']);
    rows.push([name, 'sampling', per(b.sampleMs), 'ms/step', '']);
    let kernelMs = 0;
    for (const [k, v] of [...b.kernels].sort((x, y) => y[1].ms - x[1].ms)) {
      kernelMs += v.ms;
      if (v.ms / b.runMs < 0.005) continue;
      rows.push([name, `  ${k}`, per(v.ms), 'ms/step', `${((v.ms / b.runMs) * 100).toFixed(1)}% of the model step, ${(v.calls / b.steps).toFixed(0)} calls`]);
    }
    rows.push([name, '  other', per(b.runMs - kernelMs), 'ms/step', `${(((b.runMs - kernelMs) / b.runMs) * 100).toFixed(1)}% (JavaScript, and kernels run on the calling thread alone: norms, rope, adds)`]);
  }
  return rows;
}

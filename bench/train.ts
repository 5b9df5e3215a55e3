// Training throughput: tokens/s of a full optimizer step (forward, backward, clipping, AdamW) of the
// issue's fixed small config (hidden 256, 4 layers, 8/2 heads, ffn 688, vocab 8000, seq 256), at 1 and
// 2 threads, next to the same model and batch in PyTorch on CPU (bench/torch_train.py, same thread
// count, same run), and a per-kernel breakdown of one step at both thread counts.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { preset } from '../src/model/config.js';
import { YiTrainable } from '../src/model/trainable.js';
import type { ProfileRow } from '../src/runtime/profile.js';
import { Runtime } from '../src/runtime/runtime.js';
import { AdamW, PRETRAIN_ADAMW } from '../src/train/optimizer.js';
import { mulberry32 } from '../src/tensor/random.js';
import { profileSteps, type Reporter } from './harness.js';

const script = fileURLToPath(new URL('../../bench/torch_train.py', import.meta.url));

export interface TrainBenchOptions {
  quick?: boolean;
  /** Python with torch for the baseline; else YI_TORCH_PYTHON, else `python3` on PATH. */
  torchPython?: string;
}

interface Breakdown {
  rows: Map<string, ProfileRow>;
  stepMs: number;
}

export async function benchTrain(rep: Reporter, opts: TrainBenchOptions): Promise<void> {
  const cfg = preset('yi-mini');
  const T = opts.quick ? 64 : 256;
  const B = opts.quick ? 2 : 16;
  const steps = opts.quick ? 1 : 3;
  const next = mulberry32(5);
  const ids = Array.from({ length: B * (T + 1) }, () => Math.floor(next() * cfg.vocabSize));
  const inputs: number[] = [];
  const targets: number[] = [];
  for (let b = 0; b < B; b++) {
    inputs.push(...ids.slice(b * (T + 1), b * (T + 1) + T));
    targets.push(...ids.slice(b * (T + 1) + 1, (b + 1) * (T + 1)));
  }
  const name = `yi-mini (h256 l4 8/2 heads ffn688 v8000), ${B}x${T} tokens/step`;
  const python = opts.torchPython ?? process.env.YI_TORCH_PYTHON ?? 'python3';
  const breakdowns = new Map<number, Breakdown>();
  for (const threads of [1, 2]) {
    const rt = await Runtime.create({ threads });
    const model = YiTrainable.create(rt, cfg, { kind: 'random', seed: 1 }, { maxSeqLen: T });
    const opt = new AdamW(model.params, PRETRAIN_ADAMW);
    const step = () => {
      model.zeroGrad();
      model.lossAndGrad(inputs, targets, B, T);
      opt.update(3e-4, 1.0);
    };
    step(); // warm-up
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) step();
    const ours = (B * T * steps) / ((performance.now() - t0) / 1000);
    // The breakdown comes from separate steps, so its timers never touch the figure above.
    const { profile, stepMs } = profileSteps(rt, steps, step);
    for (const r of profile.rows.values()) {
      r.ms /= steps;
      r.calls /= steps;
    }
    breakdowns.set(threads, { rows: profile.rows, stepMs });
    const flavor = rt.flavor;
    opt.dispose();
    model.dispose();
    await rt.close();
    const args = [cfg.hidden, cfg.layers, cfg.heads, cfg.kvHeads, cfg.ffn, cfg.vocabSize, T, B, threads, steps];
    const base = torchTokensPerSecond(python, args);
    rep.add({
      bench: 'train',
      case: name,
      threads,
      value: ours,
      unit: 'tokens/s',
      note: 'ok' in base ? `${(ours / base.ok.tps).toFixed(2)}x ${torchLabel(base.ok)}, same run; ${flavor}` : `no baseline: ${base.error}; ${flavor}`,
    });
    if ('ok' in base) rep.add({ bench: 'train', case: `${name}, ${torchLabel(base.ok)}`, threads, value: base.ok.tps, unit: 'tokens/s' });
  }
  reportBreakdown(rep, breakdowns.get(1)!, breakdowns.get(2)!);
}

/** One row per kernel (GEMMs by transposes and shape), largest first, then the time outside kernels. */
function reportBreakdown(rep: Reporter, one: Breakdown, two: Breakdown): void {
  const labels = [...new Set([...one.rows.keys(), ...two.rows.keys()])];
  const ms = (b: Breakdown, l: string) => b.rows.get(l)?.ms ?? 0;
  labels.sort((a, b) => ms(one, b) - ms(one, a));
  const speedup = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : '');
  const share = (a: number) => `${((100 * a) / one.stepMs).toFixed(1)}%`;
  const rows: (string | number)[][] = labels.map((l) => [l, one.rows.get(l)?.calls ?? two.rows.get(l)!.calls, ms(one, l), ms(two, l), share(ms(one, l)), speedup(ms(one, l), ms(two, l))]);
  const outside = (b: Breakdown) => b.stepMs - [...b.rows.values()].reduce((s, r) => s + r.ms, 0);
  rows.push(['outside kernels (JS: tape, gradient zeroing, loss sum)', '', outside(one), outside(two), share(outside(one)), speedup(outside(one), outside(two))]);
  rows.push(['whole step', '', one.stepMs, two.stepMs, '100%', speedup(one.stepMs, two.stepMs)]);
  rep.table(
    'train',
    'One training step by kernel (gemm AB^T = x W^T forward, AB = dY W, A^TB = dY^T x; M x N x K)',
    ['kernel', 'calls', 'ms 1 thread', 'ms 2 threads', 'share (1 thread)', '2-thread speedup'],
    rows,
    [...labels.map((l) => [l, ms(one, l), ms(two, l)] as const), ['outside kernels', outside(one), outside(two)] as const, ['whole step', one.stepMs, two.stepMs] as const].flatMap(([l, a, b]) => [
      { bench: 'train-step', case: l, threads: 1, value: a, unit: 'ms' },
      { bench: 'train-step', case: l, threads: 2, value: b, unit: 'ms' },
    ]),
  );
}

export interface Baseline {
  tps: number;
  version: string;
  python: string;
  /** With --lora: which LoRA implementation ran (PEFT's version, or the plain layers). */
  lora?: string;
}

export function torchLabel(b: Baseline): string {
  const old = Number(b.version.split('.')[0]) < 2 ? ' (older than 2.x: not a fair baseline)' : '';
  return `PyTorch ${b.version} CPU (${b.python})${old}`;
}

/** Runs bench/torch_train.py with `args` (its usage line) and reads the JSON line it prints last. */
export function torchTokensPerSecond(python: string, args: (number | string)[]): { ok: Baseline } | { error: string } {
  const r = spawnSync(python, [script, ...args.map(String)], { encoding: 'utf8', timeout: 600_000 });
  if (r.error) return { error: `${python}: ${r.error.message}` };
  if (r.status !== 0) {
    const why = (r.stderr ?? '').trim().split('\n').pop() ?? '';
    return { error: `${python} exited with ${r.status}${why ? ` (${why})` : ''}; pass --torch-python PATH or set YI_TORCH_PYTHON` };
  }
  try {
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { tokens_per_s: number; torch: string; python?: string; lora?: string };
    return { ok: { tps: j.tokens_per_s, version: j.torch, python: j.python ?? python, ...(j.lora ? { lora: j.lora } : {}) } };
  } catch {
    return { error: `${python} printed no result` };
  }
}

// Training throughput: tokens/s of a full optimizer step (forward, backward, clipping, AdamW) of the
// issue's fixed small config (hidden 256, 4 layers, 8/2 heads, ffn 688, vocab 8000, seq 256), at 1 and
// 2 threads, next to the same model and batch in PyTorch on CPU (python3-torch, same thread count) in
// the same run when torch is installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { preset } from '../src/model/config.js';
import { YiTrainable } from '../src/model/trainable.js';
import { Runtime } from '../src/runtime/runtime.js';
import { AdamW, PRETRAIN_ADAMW } from '../src/train/optimizer.js';
import { mulberry32 } from '../src/tensor/random.js';
import type { Reporter } from './harness.js';

const script = fileURLToPath(new URL('../../bench/torch_train.py', import.meta.url));

export async function benchTrain(rep: Reporter, opts: { quick?: boolean }): Promise<void> {
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
    opt.dispose();
    model.dispose();
    await rt.close();
    const args = [cfg.hidden, cfg.layers, cfg.heads, cfg.kvHeads, cfg.ffn, cfg.vocabSize, T, B, threads, steps];
    const baselines = PYTHONS.map((py) => torchTokensPerSecond(py, args)).filter((b): b is Baseline => b !== undefined);
    rep.add({
      bench: 'train',
      case: name,
      threads,
      value: ours,
      unit: 'tokens/s',
      note: baselines.length
        ? baselines.map((t) => `${(ours / t.tps).toFixed(2)}x PyTorch ${t.version} (${Math.round(t.tps)} tokens/s)`).join('; ') + ', same run'
        : 'no python3 with torch: no baseline',
    });
    for (const t of baselines) rep.add({ bench: 'train', case: `${name}, PyTorch ${t.version} CPU (${t.python})`, threads, value: t.tps, unit: 'tokens/s' });
  }
}

interface Baseline {
  tps: number;
  version: string;
  python: string;
}

/** Debian's python3-torch (the baseline) and, when another python3 on PATH has torch, that one too. */
const PYTHONS = ['/usr/bin/python3', 'python3'];

function torchTokensPerSecond(python: string, args: number[]): Baseline | undefined {
  if (python.startsWith('/') && !existsSync(python)) return undefined;
  if (python === 'python3') {
    // The same interpreter as /usr/bin/python3 would only repeat that baseline.
    const which = spawnSync('sh', ['-c', 'readlink -f "$(command -v python3)"'], { encoding: 'utf8' }).stdout.trim();
    if (!which || which === spawnSync('readlink', ['-f', '/usr/bin/python3'], { encoding: 'utf8' }).stdout.trim()) return undefined;
  }
  const r = spawnSync(python, [script, ...args.map(String)], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return undefined;
  try {
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { tokens_per_s: number; torch: string };
    return { tps: j.tokens_per_s, version: j.torch, python };
  } catch {
    return undefined;
  }
}

// SFT training throughput: tokens/s of one finetuning step (forward, backward, clipping, AdamW with the
// paper's SFT settings) on packed chat-like rows of the recipe model's shape, for full finetuning, LoRA
// (rank 16 on all seven projections, f32 base) and LoRA on a Q4_0 base, at 1 and 2 threads, each next
// to the same batch in PyTorch on CPU in the same run (bench/torch_train.py --batch, PEFT's LoRA when
// importable; two rounds of ours-then-PyTorch per case, medians), and where a LoRA step's time goes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preset, type YiConfig } from '../src/model/config.js';
import { LORA_TARGETS } from '../src/model/lora.js';
import { YiTrainable, type BaseType } from '../src/model/trainable.js';
import { Runtime } from '../src/runtime/runtime.js';
import { planEpoch, type SftBatch } from '../src/sft/pack.js';
import type { RenderedSample } from '../src/sft/render.js';
import { mulberry32 } from '../src/tensor/random.js';
import { AdamW, SFT_ADAMW } from '../src/train/optimizer.js';
import { profileSteps, type Reporter } from './harness.js';
import { loraStepParts, PARTS, type StepParts } from './sft-parts.js';
import { torchLabel, torchTokensPerSecond, type Baseline } from './train.js';

export interface SftBenchOptions {
  quick?: boolean;
  /** Python with torch for the baseline; else YI_TORCH_PYTHON, else `python3` on PATH. */
  torchPython?: string;
}

type Mode = 'full' | 'lora' | 'lora-q4_0';
const MODES: { mode: Mode; label: string; baseType: BaseType }[] = [
  { mode: 'full', label: 'full finetuning', baseType: 'f32' },
  { mode: 'lora', label: 'LoRA r16 all 7 projections, f32 base', baseType: 'f32' },
  { mode: 'lora-q4_0', label: 'LoRA r16 all 7 projections, Q4_0 base', baseType: 'q4_0' },
];
const RANK = 16;
const ALPHA = 16;
const DROPOUT = 0.05;
const NEFTUNE = 5;

/**
 * Chat-like samples: lengths spread over 24..160 tokens (chat-facts' conversations are a few dozen
 * tokens, multi-turn ones longer), the last third of each (its answer) trained; packed into rows.
 */
export function chatBatch(cfg: YiConfig, rows: number, seqLen: number): SftBatch {
  const next = mulberry32(11);
  const samples: RenderedSample[] = [];
  const lo = Math.min(24, seqLen);
  const hi = Math.min(160, seqLen);
  for (let i = 0; i < rows * 8; i++) {
    const len = lo + Math.floor(next() * (hi - lo + 1));
    const ids = Int32Array.from({ length: len }, () => 3 + Math.floor(next() * (cfg.vocabSize - 3)));
    const trained = Uint8Array.from({ length: len }, (_, j) => (j >= Math.floor((2 * len) / 3) ? 1 : 0));
    samples.push({ id: `s${i}`, ids, trained });
  }
  return planEpoch(samples, { seqLen, batchSize: rows, packing: true, seed: 1 }, 0).batch(0);
}

export async function benchSft(rep: Reporter, opts: SftBenchOptions): Promise<void> {
  const cfg: YiConfig = { ...preset('yi-mini'), vocabSize: 4000 };
  const T = opts.quick ? 64 : 256;
  const B = opts.quick ? 2 : 16;
  const steps = opts.quick ? 1 : 3;
  const rounds = opts.quick ? 1 : 2;
  const batch = chatBatch(cfg, B, T);
  const fill = batch.segments.reduce((s, x) => s + (x >= 0 ? 1 : 0), 0) / (B * T);
  const shape = `yi-mini shape (h256 l4 8/2 heads ffn688 v4000), ${B}x${T} packed rows (${batch.samples} samples, ${(100 * fill).toFixed(0)}% filled)`;
  const python = opts.torchPython ?? process.env.YI_TORCH_PYTHON ?? 'python3';
  const dir = mkdtempSync(join(tmpdir(), 'yi-bench-sft-'));
  const batchFile = join(dir, 'batch.json');
  writeFileSync(batchFile, JSON.stringify({ inputs: [...batch.inputs], targets: [...batch.targets], positions: [...batch.positions], segments: [...batch.segments] }));
  const parts: { mode: Mode; threads: number; parts: StepParts }[] = [];
  try {
    for (const threads of [1, 2]) {
      for (const { mode, label, baseType } of MODES) {
        const lora = mode === 'full' ? undefined : { rank: RANK, alpha: ALPHA, dropout: DROPOUT, targets: [...LORA_TARGETS], seed: 1 };
        const rt = await Runtime.create({ threads });
        const model = YiTrainable.create(rt, cfg, { kind: 'random', seed: 1 }, { maxSeqLen: T, lora, baseType });
        const opt = new AdamW(model.params, SFT_ADAMW);
        let n = 0;
        const step = () => {
          model.zeroGrad();
          n++;
          model.lossAndGrad(batch.inputs, batch.targets, B, T, {
            normalizer: Math.max(1, batch.trainedTokens),
            positions: batch.positions,
            segments: batch.segments,
            neftune: { alpha: NEFTUNE, seed: n },
            ...(lora ? { dropoutSeed: n } : {}),
          });
          opt.update(1e-5, 1.0);
        };
        step(); // warm-up
        const flavor = rt.flavor;
        const args = [cfg.hidden, cfg.layers, cfg.heads, cfg.kvHeads, cfg.ffn, cfg.vocabSize, T, B, threads, steps, '--batch', batchFile, '--neftune', NEFTUNE];
        if (lora) args.push('--lora', RANK, '--lora-alpha', ALPHA, '--lora-dropout', DROPOUT);
        // Rounds of (ours, then torch at once, same thread count), so both see the same machine load;
        // the ratio is that of the medians.
        const oursRuns: number[] = [];
        const torchRuns: Baseline[] = [];
        let torchError: string | undefined;
        for (let round = 0; round < rounds; round++) {
          const t0 = performance.now();
          for (let s = 0; s < steps; s++) step();
          oursRuns.push((B * T * steps) / ((performance.now() - t0) / 1000));
          if (torchError) continue;
          const base = torchTokensPerSecond(python, args);
          if ('ok' in base) torchRuns.push(base.ok);
          else torchError = base.error;
        }
        if (lora) {
          // Separate, profiled steps: the timers never touch the figures above.
          const { profile, stepMs } = profileSteps(rt, steps, step);
          parts.push({ mode, threads, parts: loraStepParts(profile, stepMs, steps, RANK) });
        }
        opt.dispose();
        model.dispose();
        await rt.close();
        const ours = median(oursRuns);
        const spread = (xs: number[]) => (xs.length > 1 ? `; ${rounds} rounds: ${xs.map((x) => x.toFixed(0)).join(', ')}` : '');
        const vsTorch = mode === 'lora-q4_0' ? ' (its LoRA on an f32 base: PyTorch on CPU has no Q4_0 training path)' : '';
        const torchName = (b: Baseline) => `${b.lora ? `${b.lora} on ` : ''}${torchLabel(b)}`;
        const first = torchRuns[0];
        const theirs = median(torchRuns.map((b) => b.tps));
        rep.add({
          bench: 'sft',
          case: `${label}, ${shape}`,
          threads,
          value: ours,
          unit: 'tokens/s',
          note: first ? `${(ours / theirs).toFixed(2)}x ${torchName(first)}${vsTorch}, same run${spread(oursRuns)}; ${flavor}` : `no baseline: ${torchError}; ${flavor}`,
        });
        if (first) rep.add({ bench: 'sft', case: `${label}, ${shape}, ${torchName(first)}${vsTorch}`, threads, value: theirs, unit: 'tokens/s', ...(torchRuns.length > 1 ? { note: `${rounds} rounds: ${torchRuns.map((b) => b.tps.toFixed(0)).join(', ')}` } : {}) });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  reportParts(rep, parts);
}

function reportParts(rep: Reporter, all: { mode: Mode; threads: number; parts: StepParts }[]): void {
  const seen = new Set(all.flatMap((p) => p.parts.map((x) => x.part)));
  const names = [...Object.values(PARTS), PARTS.outside, PARTS.whole].filter((n, i, a) => seen.has(n) && a.indexOf(n) === i);
  const head = ['part of a LoRA step', ...all.map((p) => `${p.mode} ${p.threads}t ms`)];
  const ms = (p: StepParts, name: string) => p.find((x) => x.part === name)?.ms ?? 0;
  const rows = names.map((n) => [n, ...all.map((p) => `${ms(p.parts, n).toFixed(1)} (${((100 * ms(p.parts, n)) / ms(p.parts, 'whole step')).toFixed(0)}%)`)]);
  rep.table(
    'sft',
    'Where a LoRA step goes (ms per step, share of the step; kernels timed one by one, JS parts by their own timers)',
    head,
    rows,
    all.flatMap((p) => p.parts.map((x) => ({ bench: 'sft-step', case: `${p.mode}: ${x.part}`, threads: p.threads, value: x.ms, unit: 'ms' }))),
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

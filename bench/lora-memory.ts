// Peak memory of one finetuning step: full finetuning vs LoRA (f32 base) vs LoRA on a Q8_0 / Q4_0 base
// (QLoRA-style), for the recipe's model and a 1B-shape config (docs/finetuning.md). Each case runs in its
// own process (a wasm memory never shrinks, and RSS is per process): the arena's size after the step is
// its peak; maxRSS adds Node's own heap and code. A case whose estimate does not fit one wasm memory
// (or this machine) is not run: its computed bytes are reported instead.
//   node dist/bench/lora-memory.js [--model DIR] [--batch 8] [--seq 256] [--rank 16] [--big]
// (without --model: the recipe model's shape, yi-mini with vocabulary 4000, random weights), and as
// `npm run bench -- --only sft-memory` (JSON lines with --json; the 1B shape unless --quick).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Reporter } from './harness.js';
import { preset, type YiConfig } from '../src/model/config.js';
import { LORA_TARGETS } from '../src/model/lora.js';
import { checkTrainingMemory, formatBytes, parameterCount, trainingMemory } from '../src/model/memory.js';
import { openWeights } from '../src/model/source.js';
import { YiTrainable, type BaseType } from '../src/model/trainable.js';
import { Runtime } from '../src/runtime/runtime.js';
import { AdamW, SFT_ADAMW } from '../src/train/optimizer.js';

type Mode = 'full' | 'lora' | 'lora-q8_0' | 'lora-q4_0';
const MODES: Mode[] = ['full', 'lora', 'lora-q8_0', 'lora-q4_0'];
/** TinyLlama-1.1B's shape (Llama layers, GQA 32/4) with the recipe's RoPE: 1.1B parameters. */
const ONE_B: YiConfig = { ...preset('yi-mini'), vocabSize: 32000, hidden: 2048, layers: 22, heads: 32, kvHeads: 4, headDim: 64, ffn: 5632, maxPositions: 2048 };

/** The recipe's model: yi-mini's layers with the recipe tokenizer's 4000-token vocabulary. */
const MINI: YiConfig = { ...preset('yi-mini'), vocabSize: 4000 };

const args = process.argv.slice(2);
const flag = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : def;
};
const B = Number(flag('--batch', '8'));
const T = Number(flag('--seq', '256'));
const rank = Number(flag('--rank', '16'));
const model = flag('--model', '');
const self = fileURLToPath(import.meta.url);

function shapeOf(mode: Mode, rank: number) {
  const lora = mode === 'full' ? undefined : { rank, alpha: 2 * rank, dropout: 0.05, targets: [...LORA_TARGETS], seed: 1 };
  const baseType: BaseType = mode === 'lora-q8_0' ? 'q8_0' : mode === 'lora-q4_0' ? 'q4_0' : 'f32';
  return { lora, baseType };
}

async function child(which: string, mode: Mode): Promise<void> {
  const rt = await Runtime.create({ threads: 2 });
  const { lora, baseType } = shapeOf(mode, rank);
  let cfg: YiConfig;
  let m: YiTrainable;
  if (which === 'model') {
    const src = openWeights(model);
    cfg = src.config;
    m = YiTrainable.create(rt, cfg, { kind: 'source', source: src }, { maxSeqLen: T, lora, baseType });
    src.close();
  } else {
    cfg = which === 'mini' ? MINI : ONE_B;
    m = YiTrainable.create(rt, cfg, { kind: 'random', seed: 1 }, { maxSeqLen: T, lora, baseType });
  }
  const opt = new AdamW(m.params, SFT_ADAMW);
  const ids = Array.from({ length: B * T }, (_, i) => (i * 7919 + 13) % cfg.vocabSize);
  const t0 = performance.now();
  m.zeroGrad();
  m.lossAndGrad(ids, ids, B, T);
  opt.update(1e-5, 1);
  const stepS = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ arena: m.arena.memory.buffer.byteLength, rss: process.resourceUsage().maxRSS * 1024, trainable: m.parameterCount, stepS }) + '\n');
  await rt.close();
}

interface Measured {
  arena: number;
  rss: number;
  trainable: number;
  stepS: number;
}

/** One case in a process of its own; undefined when its estimate does not fit (InsufficientMemoryError). */
function measure(which: string, cfg: YiConfig, mode: Mode, b: number, t: number, r: number): { est: number; measured?: Measured; failed?: string } {
  const { lora, baseType } = shapeOf(mode, r);
  const shape = { sequences: b, seqLen: t, lora, baseType };
  const limits = { threads: 2, scratchBytesPerThread: 2 << 20 };
  const est = trainingMemory(cfg, shape, limits).total;
  try {
    checkTrainingMemory(cfg, shape, limits);
  } catch (e) {
    if (e instanceof Error && e.name === 'InsufficientMemoryError') return { est };
    throw e;
  }
  const extra = which === 'model' ? ['--model', model] : [];
  const p = spawnSync(process.execPath, [self, '--child', which, mode, '--batch', String(b), '--seq', String(t), '--rank', String(r), ...extra], { encoding: 'utf8' });
  if (p.status !== 0) return { est, failed: (p.stderr || `exit ${p.status}`).trim().split('\n').pop() };
  return { est, measured: JSON.parse(p.stdout.trim().split('\n').pop()!) as Measured };
}

const MODE_LABEL: Record<Mode, string> = { full: 'full finetuning', lora: 'LoRA, f32 base', 'lora-q8_0': 'LoRA, Q8_0 base', 'lora-q4_0': 'LoRA, Q4_0 base' };

/** `npm run bench -- --only sft-memory`: the recipe model (8 x 256 tokens) and, unless quick, the 1B shape (1 x 256). */
export async function benchSftMemory(rep: Reporter, opts: { quick?: boolean }): Promise<void> {
  const r = 16;
  const cases: [string, string, YiConfig, number, number][] = [['mini', 'recipe model (yi-mini, v4000)', MINI, opts.quick ? 2 : 8, opts.quick ? 64 : 256]];
  if (!opts.quick) cases.push(['1b', '1B shape (TinyLlama-1.1B layers)', ONE_B, 1, 256]);
  for (const [which, name, cfg, b, t] of cases) {
    for (const mode of MODES) {
      const m = measure(which, cfg, mode, b, t, r);
      const label = `${name} ${b}x${t}, ${MODE_LABEL[mode]}${mode === 'full' ? '' : ` r${r} all 7`}`;
      if (!m.measured) {
        const why = m.failed ? `failed: ${m.failed}` : 'computed, not run: does not fit one 4 GiB wasm memory';
        rep.add({ bench: 'sft-memory', case: `${label}: estimate`, value: m.est, unit: 'bytes', note: why });
        continue;
      }
      rep.add({ bench: 'sft-memory', case: `${label}: estimate`, value: m.est, unit: 'bytes', note: formatBytes(m.est) });
      rep.add({ bench: 'sft-memory', case: `${label}: arena peak`, threads: 2, value: m.measured.arena, unit: 'bytes', note: `${formatBytes(m.measured.arena)}; step ${m.measured.stepS.toFixed(1)} s` });
      rep.add({ bench: 'sft-memory', case: `${label}: max RSS`, threads: 2, value: m.measured.rss, unit: 'bytes', note: formatBytes(m.measured.rss) });
    }
  }
}

async function main(): Promise<void> {
  if (args[0] === '--child') return child(args[1]!, args[2] as Mode);
  const rows: string[] = [];
  const cases: [string, string, YiConfig][] = [];
  cases.push(model ? ['model', model, openWeights(model).config] : ['mini', 'recipe model (yi-mini, v4000)', MINI]);
  if (args.includes('--big')) cases.push(['1b', '1B shape (TinyLlama-1.1B layers)', ONE_B]);
  for (const [which, label, cfg] of cases) {
    for (const mode of MODES) {
      const m = measure(which, cfg, mode, B, T, rank);
      const measured = m.measured
        ? `arena ${formatBytes(m.measured.arena)}, max RSS ${formatBytes(m.measured.rss)} (step ${m.measured.stepS.toFixed(1)} s)`
        : m.failed
          ? `failed: ${m.failed}`
          : 'not run (does not fit one 4 GiB wasm memory)';
      rows.push(`| ${label} (${(parameterCount(cfg) / 1e6).toFixed(1)}M) | ${mode} | ${formatBytes(m.est)} | ${measured} |`);
      console.error(rows[rows.length - 1]);
    }
  }
  console.log(`micro-batch ${B} x ${T} tokens, LoRA rank ${rank} on q,k,v,o,gate,up,down, AdamW, 2 threads\n`);
  console.log('| model | mode | estimate | measured |\n|---|---|---|---|\n' + rows.join('\n'));
}

if (process.argv[1] === self) await main();

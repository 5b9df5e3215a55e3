// Peak memory of one finetuning step: full finetuning vs LoRA (f32 base) vs LoRA on a Q8_0 / Q4_0 base
// (QLoRA-style), for the recipe's model and a 1B-shape config (docs/finetuning.md). Each case runs in its
// own process (a wasm memory never shrinks, and RSS is per process): the arena's size after the step is
// its peak; maxRSS adds Node's own heap and code. A case whose estimate does not fit one wasm memory
// (or this machine) is not run: its computed bytes are reported instead.
//   node dist/bench/lora-memory.js [--model DIR] [--batch 8] [--seq 256] [--rank 16] [--big]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

const args = process.argv.slice(2);
const flag = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : def;
};
const B = Number(flag('--batch', '8'));
const T = Number(flag('--seq', '256'));
const rank = Number(flag('--rank', '16'));
const model = flag('--model', '');

function shapeOf(mode: Mode) {
  const lora = mode === 'full' ? undefined : { rank, alpha: 2 * rank, dropout: 0.05, targets: [...LORA_TARGETS], seed: 1 };
  const baseType: BaseType = mode === 'lora-q8_0' ? 'q8_0' : mode === 'lora-q4_0' ? 'q4_0' : 'f32';
  return { lora, baseType };
}

async function child(which: string, mode: Mode): Promise<void> {
  const rt = await Runtime.create({ threads: 2 });
  const { lora, baseType } = shapeOf(mode);
  let cfg: YiConfig;
  let m: YiTrainable;
  if (which === 'model') {
    const src = openWeights(model);
    cfg = src.config;
    m = YiTrainable.create(rt, cfg, { kind: 'source', source: src }, { maxSeqLen: T, lora, baseType });
    src.close();
  } else {
    cfg = ONE_B;
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

async function main(): Promise<void> {
  if (args[0] === '--child') return child(args[1]!, args[2] as Mode);
  const self = fileURLToPath(import.meta.url);
  const rows: string[] = [];
  const cases: [string, string, YiConfig | undefined][] = [];
  if (model) cases.push(['model', model, undefined]);
  if (args.includes('--big')) cases.push(['1b', '1B shape (TinyLlama-1.1B layers)', ONE_B]);
  for (const [which, label, fixed] of cases) {
    const cfg = fixed ?? openWeights(model).config;
    for (const mode of MODES) {
      const { lora, baseType } = shapeOf(mode);
      const shape = { sequences: B, seqLen: T, lora, baseType };
      const est = trainingMemory(cfg, shape, { threads: 2, scratchBytesPerThread: 2 << 20 });
      let measured = 'not run (does not fit one 4 GiB wasm memory)';
      try {
        checkTrainingMemory(cfg, shape, { threads: 2, scratchBytesPerThread: 2 << 20 });
        const r = spawnSync(process.execPath, [self, '--child', which, mode, ...args], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(r.stderr);
        const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { arena: number; rss: number; trainable: number; stepS: number };
        measured = `arena ${formatBytes(j.arena)}, max RSS ${formatBytes(j.rss)} (step ${j.stepS.toFixed(1)} s)`;
      } catch (e) {
        if (!(e instanceof Error && e.name === 'InsufficientMemoryError')) measured = `failed: ${(e as Error).message.split('\n')[0]}`;
      }
      rows.push(`| ${label} (${(parameterCount(cfg) / 1e6).toFixed(1)}M) | ${mode} | ${formatBytes(est.total)} | ${measured} |`);
      console.error(rows[rows.length - 1]);
    }
  }
  console.log(`micro-batch ${B} x ${T} tokens, LoRA rank ${rank} on q,k,v,o,gate,up,down, AdamW, 2 threads\n`);
  console.log('| model | mode | estimate | measured |\n|---|---|---|---|\n' + rows.join('\n'));
}

await main();

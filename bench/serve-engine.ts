// The serving engine without HTTP: N concurrent requests (prompt 128, output 128, greedy, no stop
// token) on the yi-174m shape in Q8_0 (random weights, the cached preset GGUF). Aggregate generated
// tokens/s, and per request the time to first token and the time per output token after it, p50 /
// p99. The issue's target: aggregate at 8 concurrent >= 4x the single-request figure.
import { preset } from '../src/model/config.js';
import { loadModel } from '../src/model/load.js';
import { Runtime } from '../src/runtime/runtime.js';
import { createEngine, serveModelOptions } from '../src/serve/create-engine.js';
import type { LLMEngine } from '../src/serve/engine.js';
import type { SamplerFactory, SamplingParams } from '../src/serve/engine-api.js';
import type { Figure, Reporter } from './harness.js';
import { serveLevels } from './serve-levels.js';
import { presetGGUF } from './preset-gguf.js';
import { profileRows, profileSteps } from './serve-step-profile.js';

const greedy: SamplerFactory = () => ({
  sample(logits) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
    return { token: best };
  },
});

function sampling(maxTokens: number): SamplingParams {
  return { temperature: 0, topP: 1, topK: 0, minP: 0, presencePenalty: 0, frequencyPenalty: 0, seed: 0, maxTokens, stopTokens: [], logprobs: null };
}

/** Nearest-rank percentile. */
function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

interface Timing {
  ttftMs: number;
  tpotMs: number;
  tokens: number;
}

/** One request: submit, stream, time its tokens. */
async function timedRequest(engine: LLMEngine, id: string, prompt: number[], output: number): Promise<Timing> {
  const t0 = performance.now();
  const h = engine.submit({ id, promptTokens: prompt, sampling: sampling(output) });
  let first = NaN;
  let last = NaN;
  let n = 0;
  for await (const _ of h.tokens) {
    last = performance.now();
    if (n++ === 0) first = last;
  }
  await h.done;
  return { ttftMs: first - t0, tpotMs: n > 1 ? (last - first) / (n - 1) : NaN, tokens: n };
}

export async function benchServeEngine(rep: Reporter, opts: { quick?: boolean }): Promise<void> {
  const promptLen = opts.quick ? 32 : 128;
  const output = opts.quick ? 16 : 128;
  const levels = serveLevels(opts.quick ? [1, 4] : [1, 4, 8, 16]);
  const rt = await Runtime.create({});
  try {
    const { path } = presetGGUF(rt, { preset: 'yi-174m', type: 'q8_0', onWrite: (p) => process.stderr.write(`writing the yi-174m q8_0 model (random weights) to ${p}; later runs reuse it\n`) });
    const ctx = promptLen + output + 16;
    const maxSeqs = Math.max(...levels);
    const common = { maxSeqs, maxBatchedTokens: 256, contextLength: ctx };
    // The model's KV cache, the engine's block pool, holds every level's requests at once.
    const model = loadModel(rt, path, { ...serveModelOptions(preset('yi-174m'), common), onMessage: () => {} });
    try {
      const vocab = model.config.vocabSize;
      const rows: (string | number)[][] = [];
      const figures: Figure[] = [];
      const aggregate = new Map<number, number>();
      for (const conc of levels) {
        // Every prompt differs anyway; the figure is the batching, not the cache.
        const engine = createEngine(model, { ...common, sampler: greedy, prefixCaching: false });
        try {
          await timedRequest(engine, 'warm-up', Array.from({ length: 8 }, (_, i) => 100 + i), 4);
          // A few requests per client at low concurrency, so percentiles have more than one sample.
          const perClient = Math.max(1, Math.ceil(4 / conc));
          const timings: Timing[] = [];
          const t0 = performance.now();
          await Promise.all(
            Array.from({ length: conc }, async (_, c) => {
              for (let r = 0; r < perClient; r++) {
                const prompt = Array.from({ length: promptLen }, (_, i) => 3 + ((i * 7919 + (c * perClient + r) * 104729) % (vocab - 3)));
                timings.push(await timedRequest(engine, `c${c}r${r}`, prompt, output));
              }
            }),
          );
          const seconds = (performance.now() - t0) / 1e3;
          const generated = timings.reduce((s, t) => s + t.tokens, 0);
          const agg = generated / seconds;
          aggregate.set(conc, agg);
          const ttft = timings.map((t) => t.ttftMs);
          const tpot = timings.map((t) => t.tpotMs).filter((x) => Number.isFinite(x));
          const st = engine.stats();
          rows.push([conc, agg, percentile(ttft, 50), percentile(ttft, 99), percentile(tpot, 50), percentile(tpot, 99), timings.length, st.preemptionsTotal]);
          const note = `prompt ${promptLen}, output ${output}, ${timings.length} requests, ${rt.threads} threads`;
          figures.push(
            { bench: 'serve-engine', case: `aggregate c=${conc}`, threads: rt.threads, value: agg, unit: 'tok/s', note },
            { bench: 'serve-engine', case: `ttft p50 c=${conc}`, threads: rt.threads, value: percentile(ttft, 50), unit: 'ms', note },
            { bench: 'serve-engine', case: `ttft p99 c=${conc}`, threads: rt.threads, value: percentile(ttft, 99), unit: 'ms', note },
            { bench: 'serve-engine', case: `tpot p50 c=${conc}`, threads: rt.threads, value: percentile(tpot, 50), unit: 'ms', note },
            { bench: 'serve-engine', case: `tpot p99 c=${conc}`, threads: rt.threads, value: percentile(tpot, 99), unit: 'ms', note },
          );
        } finally {
          await engine.close();
        }
      }
      const one = aggregate.get(1);
      if (one !== undefined) {
        for (const at of levels.filter((l) => l > 1 && (l === 8 || l === 16 || !levels.includes(8)))) {
          const ratio = aggregate.get(at)! / one;
          figures.push({ bench: 'serve-engine', case: `aggregate ratio c=${at} / c=1`, threads: rt.threads, value: ratio, unit: 'x', note: 'target >= 4 at c=8' });
          rows.push([`${at} / 1`, `${ratio.toFixed(2)}x`, '', '', '', '', '', '']);
        }
      }
      // The same ratios with the load of a shared machine evened out: short decode-heavy bursts
      // (prompt 16, output 48) at each level in turn, several rounds, medians per level.
      const burst = new Map<number, number[]>();
      const rounds = opts.quick ? 1 : 3;
      {
        const engine = createEngine(model, { ...common, sampler: greedy, prefixCaching: false });
        try {
          for (let r = 0; r < rounds; r++) {
            for (const conc of levels) {
              const t0 = performance.now();
              const ts = await Promise.all(
                Array.from({ length: conc }, (_, c) => timedRequest(engine, `b${r}-${c}`, Array.from({ length: 16 }, (_, i) => 3 + ((i * 7919 + (c + 50 * r + 2000) * 104729) % (vocab - 3))), opts.quick ? 8 : 48)),
              );
              const tokens = ts.reduce((a, t) => a + t.tokens, 0);
              burst.set(conc, [...(burst.get(conc) ?? []), tokens / ((performance.now() - t0) / 1e3)]);
            }
          }
        } finally {
          await engine.close();
        }
      }
      const med = (xs: number[]) => percentile(xs, 50);
      const burstOne = burst.has(1) ? med(burst.get(1)!) : undefined;
      for (const conc of levels) {
        const v = med(burst.get(conc)!);
        const ratio = burstOne === undefined ? '' : `${(v / burstOne).toFixed(2)}x`;
        rows.push([`${conc} (interleaved)`, v, '', '', '', '', rounds * conc, ratio]);
        figures.push({ bench: 'serve-engine', case: `interleaved aggregate c=${conc}`, threads: rt.threads, value: v, unit: 'tok/s', note: `prompt 16, output ${opts.quick ? 8 : 48}, median of ${rounds} rounds taken in turn with the other levels${ratio ? `; ${ratio} the 1-request figure` : ''}` });
      }
      // Where the time goes at 8 concurrent (timed apart from the figures above; not under --quick).
      const profConc = Math.min(8, maxSeqs);
      let profile;
      if (!opts.quick) {
        const engine = createEngine(model, { ...common, sampler: greedy, prefixCaching: false });
        try {
          await timedRequest(engine, 'warm-up', Array.from({ length: 8 }, (_, i) => 100 + i), 4);
          profile = await profileSteps(rt, engine, async () => {
            await Promise.all(
              Array.from({ length: profConc }, (_, c) => timedRequest(engine, `p${c}`, Array.from({ length: promptLen }, (_, i) => 3 + ((i * 7919 + (c + 1000) * 104729) % (vocab - 3))), output)),
            );
          });
        } finally {
          await engine.close();
        }
      }
      rep.table(
        'serve-engine',
        `Serving engine (no HTTP): yi-174m Q8_0, prompt ${promptLen}, output ${output}, greedy, ${rt.threads} threads`,
        ['concurrent', 'aggregate tok/s', 'TTFT p50 ms', 'TTFT p99 ms', 'TPOT p50 ms', 'TPOT p99 ms', 'requests', 'preemptions / ratio'],
        rows,
        figures,
      );
      if (profile) rep.table('serve-engine', `Step profile at ${profConc} concurrent requests (prompt ${promptLen}, output ${output}; per step)`, ['steps', 'what', 'value', 'unit', 'note'], profileRows(profile), []);
    } finally {
      model.dispose();
    }
  } finally {
    await rt.close();
  }
}

// A yi serve server over the yi-tiny fixture for the HTTP tests: the batched engine `yi serve` runs
// (scheduler, paged KV cache, prefix cache) and the real HTTP layer on a free loopback port. A "slow" sampler (a few ms per token) makes requests last
// long enough for tests to disconnect from them or fill the queue, without depending on speed.
import { after, before } from 'node:test';
import { join } from 'node:path';
import { loadModel } from '../../src/model/load.js';
import { openWeights } from '../../src/model/source.js';
import { createEngine, serveModelOptions } from '../../src/serve/create-engine.js';
import type { LLMEngine } from '../../src/serve/engine.js';
import type { YiModel } from '../../src/model/model.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { SamplerFactory } from '../../src/serve/engine-api.js';
import { createServer, type ServerOptions, type YiServer } from '../../src/serve/http/server.js';
import { createSampler } from '../../src/serve/sampling.js';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { tinyTokenizer } from '../model/tiny-tokenizer.js';
import { repoRoot } from '../paths.js';

export const MODEL = 'yi-tiny';

export interface TinyServer {
  url: string;
  server: YiServer;
  engine: LLMEngine;
}

export interface TinyModel {
  model: () => YiModel;
  tokenizer: () => Tokenizer;
  /** Resolves once the model is loaded (a test file's own before() hooks await it). */
  ready: Promise<void>;
}

/** Every test server's engine: 64-token contexts, 8 at once, a pool of 16 blocks of 16 tokens, four
 *  full contexts, so the load test's 64 clients make it preempt (yi-tiny keeps 512 bytes of K/V a
 *  token: 2 layers x K and V x 2 kv heads x 16 dims x 4 bytes). */
const ENGINE_SIZE = { contextLength: 64, maxSeqs: 8, maxBatchedTokens: 64, kvMemory: 16 * 16 * 512 };

/** Loads the tiny model once for a test file (before/after hooks); `model()` and `tokenizer()` read it in tests. */
export function useTinyModel(): TinyModel {
  let rt: Runtime;
  let model: YiModel;
  const tok = tinyTokenizer();
  let loaded!: () => void;
  const ready = new Promise<void>((resolve) => (loaded = resolve));
  before(async () => {
    rt = await Runtime.create({ threads: 1, arenaBytes: 64 << 20 });
    const path = join(repoRoot, 'test', 'fixtures', 'yi-tiny');
    const src = openWeights(path);
    const cfg = src.config;
    src.close();
    model = loadModel(rt, path, { dtype: 'f32', ...serveModelOptions(cfg, ENGINE_SIZE) });
    loaded();
  });
  after(async () => {
    model.dispose();
    await rt.close();
  });
  return { model: () => model, tokenizer: () => tok, ready };
}

/** Blocks the thread for `ms` (a sampler runs synchronously inside the engine's step). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function slowSampler(msPerToken: number): SamplerFactory {
  return (params) => {
    const s = createSampler(params);
    return { sample: (logits, generated) => (sleepSync(msPerToken), s.sample(logits, generated)) };
  };
}

export async function startTinyServer(
  model: YiModel,
  tokenizer: Tokenizer,
  opts: { maxQueue?: number; maxSeqs?: number; samplerFactory?: SamplerFactory } & Omit<ServerOptions, 'engine' | 'tokenizer'> = {},
): Promise<TinyServer> {
  const engine = createEngine(model, { ...ENGINE_SIZE, maxSeqs: opts.maxSeqs ?? ENGINE_SIZE.maxSeqs, modelName: MODEL, maxWaiting: opts.maxQueue, sampler: opts.samplerFactory ?? createSampler });
  const server = createServer({ engine, tokenizer, ...opts });
  const addr = await server.listen(0);
  return { url: `http://127.0.0.1:${addr.port}`, server, engine };
}

/** POSTs JSON (or a raw string body) and returns the status and the parsed body. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: r.status, json };
}

/** The value of an unlabelled metric in /metrics text. */
export function metric(text: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[{}"=]/g, (c) => '\\' + c)} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`metric ${name} not found`);
  return Number(m[1]);
}

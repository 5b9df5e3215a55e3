// A yi serve server over the yi-tiny fixture for the HTTP tests: the real sequential engine and the
// real HTTP layer on a free loopback port. A "slow" sampler (a few ms per token) makes requests last
// long enough for tests to disconnect from them or fill the queue, without depending on speed.
import { after, before } from 'node:test';
import { join } from 'node:path';
import { loadModel } from '../../src/model/load.js';
import type { YiModel } from '../../src/model/model.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { SamplerFactory } from '../../src/serve/engine-api.js';
import { createServer, type ServerOptions, type YiServer } from '../../src/serve/http/server.js';
import { createSampler } from '../../src/serve/sampling.js';
import { SequentialEngine } from '../../src/serve/sequential-engine.js';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { tinyTokenizer } from '../model/tiny-tokenizer.js';
import { repoRoot } from '../paths.js';

export const MODEL = 'yi-tiny';

export interface TinyServer {
  url: string;
  server: YiServer;
  engine: SequentialEngine;
}

export interface TinyModel {
  model: () => YiModel;
  tokenizer: () => Tokenizer;
  /** Resolves once the model is loaded (a test file's own before() hooks await it). */
  ready: Promise<void>;
}

/** Loads the tiny model once for a test file (before/after hooks); `model()` and `tokenizer()` read it in tests. */
export function useTinyModel(): TinyModel {
  let rt: Runtime;
  let model: YiModel;
  const tok = tinyTokenizer();
  let loaded!: () => void;
  const ready = new Promise<void>((resolve) => (loaded = resolve));
  before(async () => {
    rt = await Runtime.create({ threads: 1, arenaBytes: 64 << 20 });
    model = loadModel(rt, join(repoRoot, 'test', 'fixtures', 'yi-tiny'), { dtype: 'f32', contextLength: 64, batch: 16 });
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
  opts: { maxQueue?: number; samplerFactory?: SamplerFactory } & Omit<ServerOptions, 'engine' | 'tokenizer'> = {},
): Promise<TinyServer> {
  const engine = new SequentialEngine({ model, modelName: MODEL, maxQueue: opts.maxQueue, samplerFactory: opts.samplerFactory });
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

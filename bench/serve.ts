// `npm run bench -- --only serve [--json] [--quick] [--llama-server URL]`: `yi serve` under load on
// loopback. The 174M-shape preset model in Q8_0 (bench/preset-gguf.ts, random weights) is served by a
// child `yi serve` process, as a user runs it; clients in this process send streamed completions
// (prompt 128 token ids, 128 generated, end-of-text ignored) at 1, 4, 8 and 16 concurrent clients, and
// the figures are aggregate generated tokens/s and TTFT / time per output token p50 and p99. With
// --llama-server URL the same load goes to that server too (start it on the same GGUF, e.g.
// `llama-server -m ~/.cache/yi-ts/bench/yi-174m-q8_0-seed1-vocab.gguf -np 8 -cb -c 4096`).
//
// The preset GGUF has no vocabulary (llama.cpp's "no_vocab"), and a server needs one to turn ids into
// text: the bench writes a copy of it with a synthetic vocabulary of one piece per id ("▁t123"),
// `yi-174m-q8_0-seed1-vocab.gguf` next to it, which both servers load. Prompts are random token ids.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GGUFTyped, openGGUF, writeGGUF, type ByteStream, type GGUFValue, type GGUFWriteTensor } from '../src/formats/gguf.js';
import { preset, type YiConfig } from '../src/model/config.js';
import { ggufTokenizerMetadata } from '../src/model/convert.js';
import { loadTokenizerSpec } from '../src/tokenizer/load.js';
import { Runtime } from '../src/runtime/runtime.js';
import { mulberry32 } from '../src/tensor/random.js';
import { encodeModelProto, ModelType, PieceType, type ModelProtoInit } from '../src/tokenizer/sentencepiece-proto.js';
import type { Figure, Reporter } from './harness.js';
import { serveLevels } from './serve-levels.js';
import { presetGGUF } from './preset-gguf.js';

const yiBin = fileURLToPath(new URL('../src/cli/yi.js', import.meta.url));

export interface ServeBenchOptions {
  quick?: boolean;
  /** Also run the load against this OpenAI-compatible server (llama-server). */
  llamaServer?: string;
  /** Folder of the preset GGUF files (default ~/.cache/yi-ts/bench). */
  cacheDir?: string;
}

/** One piece per id: <unk>, bos, eos, then "▁t3", "▁t4"...: any id decodes to text, never to a partial character. */
export function synthTokenizerProto(vocabSize: number): ModelProtoInit {
  const pieces: ModelProtoInit['pieces'] = [
    { piece: '<unk>', type: PieceType.UNKNOWN },
    { piece: '<s>', type: PieceType.CONTROL },
    { piece: '</s>', type: PieceType.CONTROL },
  ];
  for (let i = pieces.length; i < vocabSize; i++) pieces.push({ piece: `\u2581t${i}`, score: -i });
  return {
    pieces,
    trainerSpec: { modelType: ModelType.BPE, vocabSize, byteFallback: false, unkId: 0, bosId: 1, eosId: 2, padId: -1, bosPiece: '<s>', eosPiece: '</s>', unkPiece: '<unk>' },
    normalizerSpec: { name: 'identity', addDummyPrefix: false, removeExtraWhitespaces: false, escapeWhitespaces: true },
  };
}

/** `gguf` with the synthetic vocabulary instead of "no_vocab", written once (atomically) beside it. */
export function withSyntheticVocab(gguf: string, cfg: YiConfig): string {
  const out = gguf.replace(/\.gguf$/, '-vocab.gguf');
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(gguf).mtimeMs) return out;
  const tmpDir = mkdtempSync(join(dirname(gguf), '.vocab-'));
  try {
    const tokFile = join(tmpDir, 'tokenizer.model');
    writeFileSync(tokFile, encodeModelProto(synthTokenizerProto(cfg.vocabSize)));
    const spec = loadTokenizerSpec(tokFile);
    const src = openGGUF(gguf);
    const fd = openSync(gguf, 'r');
    try {
      const meta = new Map<string, GGUFValue | GGUFTyped>();
      for (const [k, v] of src.metadata) if (!k.startsWith('tokenizer.')) meta.set(k, new GGUFTyped(src.metadataTypes.get(k)!, v));
      for (const [k, v] of ggufTokenizerMetadata(spec, cfg, undefined, tokFile)) meta.set(k, v);
      const tensors: GGUFWriteTensor<ByteStream>[] = src.tensors.map((t) => ({
        name: t.name,
        shape: t.shape,
        type: t.type,
        data: {
          byteLength: t.byteLength,
          write(emit) {
            const buf = Buffer.allocUnsafe(4 << 20);
            for (let at = 0; at < t.byteLength; ) {
              const n = readSync(fd, buf, 0, Math.min(buf.length, t.byteLength - at), t.offset + at);
              emit(buf.subarray(0, n));
              at += n;
            }
          },
        },
      }));
      const tmp = join(tmpDir, 'model.gguf');
      writeGGUF(tmp, { metadata: meta, tensors });
      renameSync(tmp, out);
    } finally {
      closeSync(fd);
      src.close();
    }
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  return out;
}

interface RequestTiming {
  ttftMs: number;
  /** Milliseconds per generated token after the first (NaN with one token). */
  tpotMs: number;
  tokens: number;
}

export interface LoadResult {
  concurrency: number;
  requests: number;
  seconds: number;
  tokensPerSecond: number;
  ttftP50: number;
  ttftP99: number;
  tpotP50: number;
  tpotP99: number;
  errors: number;
}

function percentile(xs: number[], p: number): number {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]!;
}

/** One streamed completion; times its first token and the rest. */
async function timedCompletion(url: string, body: Record<string, unknown>): Promise<RequestTiming> {
  const t0 = performance.now();
  const r = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok || !r.body) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
  let first = NaN;
  let last = NaN;
  let chunks = 0;
  let usageTokens: number | undefined;
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const part of r.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(part, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.startsWith('data: ') ? event.slice(6) : '';
      if (!data || data === '[DONE]') continue;
      const chunk = JSON.parse(data) as { choices?: { text?: string }[]; usage?: { completion_tokens: number } | null };
      if (chunk.usage) usageTokens = chunk.usage.completion_tokens;
      if (chunk.choices?.[0]?.text) {
        const now = performance.now();
        if (Number.isNaN(first)) first = now;
        last = now;
        chunks++;
      }
    }
  }
  const tokens = usageTokens ?? chunks;
  return { ttftMs: first - t0, tpotMs: tokens > 1 ? (last - first) / (tokens - 1) : NaN, tokens };
}

/** `concurrency` clients, each sending its share of `requests` one after another. */
export async function runLoad(url: string, model: string, o: { concurrency: number; requests: number; promptTokens: number; outputTokens: number; vocabSize: number; seed: number }): Promise<LoadResult> {
  const next = mulberry32(o.seed);
  // Distinct random prompts: no request's prefix is cached from another's.
  const prompts = Array.from({ length: o.requests }, () => Array.from({ length: o.promptTokens }, () => 3 + Math.floor(next() * (o.vocabSize - 3))));
  const timings: RequestTiming[] = [];
  let errors = 0;
  let taken = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (taken < o.requests) {
        const prompt = prompts[taken++]!;
        const body = { model, prompt, max_tokens: o.outputTokens, temperature: 0, ignore_eos: true, stream: true, stream_options: { include_usage: true } };
        try {
          timings.push(await timedCompletion(url, body));
        } catch (e) {
          errors++;
          if (errors === 1) process.stderr.write(`serve bench: ${(e as Error).message}\n`);
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1e3;
  const tokens = timings.reduce((s, t) => s + t.tokens, 0);
  return {
    concurrency: o.concurrency,
    requests: o.requests,
    seconds,
    tokensPerSecond: tokens / seconds,
    ttftP50: percentile(timings.map((t) => t.ttftMs), 50),
    ttftP99: percentile(timings.map((t) => t.ttftMs), 99),
    tpotP50: percentile(timings.map((t) => t.tpotMs), 50),
    tpotP99: percentile(timings.map((t) => t.tpotMs), 99),
    errors,
  };
}

/** Starts `yi serve` on a free port; resolves with its URL once it listens. */
function startYiServe(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [yiBin, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^try: curl (http:\/\/[^/\s]+)\//m.exec(out);
      if (m) resolve({ url: m[1]!, child });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`yi serve exited with ${code} before listening: ${err.trim()}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function modelOf(url: string): Promise<string> {
  const r = await fetch(`${url}/v1/models`);
  const body = (await r.json()) as { data: { id: string }[] };
  return body.data[0]!.id;
}

export async function benchServe(rep: Reporter, opts: ServeBenchOptions = {}): Promise<void> {
  const cfg = preset('yi-174m');
  const rt = await Runtime.create({ threads: 1 });
  let gguf: string;
  try {
    gguf = presetGGUF(rt, { preset: 'yi-174m', type: 'q8_0', cacheDir: opts.cacheDir, onWrite: (p) => process.stderr.write(`serve bench: writing ${p}\n`) }).path;
  } finally {
    await rt.close();
  }
  const served = withSyntheticVocab(gguf, cfg);

  const promptTokens = opts.quick ? 32 : 128;
  const outputTokens = opts.quick ? 16 : 128;
  const levels = serveLevels(opts.quick ? [1, 4] : [1, 4, 8, 16]);
  const ctx = 512;
  const targets: { name: string; url: string; stop?: () => Promise<void> }[] = [];
  const yi = await startYiServe(['-m', served, '--ctx', String(ctx), '--name', 'yi-174m-q8_0', '--max-queue', '64']);
  targets.push({ name: 'yi-ts', url: yi.url, stop: () => stopChild(yi.child) });
  if (opts.llamaServer) targets.push({ name: 'llama-server', url: opts.llamaServer.replace(/\/+$/, '') });

  const results = new Map<string, LoadResult[]>();
  try {
    for (const t of targets) {
      const model = await modelOf(t.url);
      // One untimed request: first-call costs (page faults, JIT) are not a client's latency.
      await runLoad(t.url, model, { concurrency: 1, requests: 1, promptTokens, outputTokens: 4, vocabSize: cfg.vocabSize, seed: 99 });
      const list: LoadResult[] = [];
      for (const c of levels) {
        // Each client sends two requests (one under --quick): p99 over a handful of requests is their max.
        list.push(await runLoad(t.url, model, { concurrency: c, requests: c * (opts.quick ? 1 : 2), promptTokens, outputTokens, vocabSize: cfg.vocabSize, seed: c }));
      }
      results.set(t.name, list);
    }
  } finally {
    for (const t of targets) await t.stop?.();
  }

  const figures: Figure[] = [];
  const rows: (string | number)[][] = [];
  const base = results.get('yi-ts')!;
  for (const [name, list] of results) {
    for (const r of list) {
      const one = list[0]!.tokensPerSecond;
      const ours = base.find((b) => b.concurrency === r.concurrency)!;
      const note = name === 'yi-ts' ? `${(r.tokensPerSecond / one).toFixed(2)}x the 1-client figure` : `yi-ts / llama-server = ${(ours.tokensPerSecond / r.tokensPerSecond).toFixed(2)}`;
      const caseName = `${name} c=${r.concurrency} p${promptTokens}/g${outputTokens}`;
      figures.push(
        { bench: 'serve', case: `${caseName} aggregate`, value: r.tokensPerSecond, unit: 'tok/s', note },
        { bench: 'serve', case: `${caseName} TTFT p50`, value: r.ttftP50, unit: 'ms' },
        { bench: 'serve', case: `${caseName} TTFT p99`, value: r.ttftP99, unit: 'ms' },
        { bench: 'serve', case: `${caseName} TPOT p50`, value: r.tpotP50, unit: 'ms' },
        { bench: 'serve', case: `${caseName} TPOT p99`, value: r.tpotP99, unit: 'ms' },
      );
      rows.push([name, r.concurrency, r.requests, r.tokensPerSecond, r.ttftP50, r.ttftP99, r.tpotP50, r.tpotP99, r.errors, note]);
    }
  }
  rep.table(
    'serve',
    `yi serve under load: yi-174m Q8_0 (random weights), prompt ${promptTokens} / output ${outputTokens} tokens, streamed completions on loopback`,
    ['server', 'clients', 'requests', 'tok/s', 'TTFT p50 ms', 'TTFT p99 ms', 'TPOT p50 ms', 'TPOT p99 ms', 'errors', 'note'],
    rows,
    figures,
  );
}

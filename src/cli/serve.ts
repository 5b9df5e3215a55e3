// `yi serve`: the OpenAI-compatible server (src/serve/http) over the batched engine (continuous
// batching, paged KV cache, prefix caching: src/serve/engine.ts), the model loaded as `yi chat` loads
// it but with its KV memory sized as the engine's block pool; the chat page at /. Prints the URL, the model, the KV capacity and a curl line; SIGTERM or
// SIGINT closes it gracefully (running requests finish) and exits 0.
import type { Command } from 'commander';
import { basename } from 'node:path';
import { createEngine, serveModelOptions } from '../serve/create-engine.js';
import type { EngineOptions, KVType } from '../serve/engine-options.js';
import { createServer } from '../serve/http/server.js';
import { createSampler } from '../serve/sampling.js';
import { byteSizeOption } from './byte-size.js';
import { addModelOptions, intOption, loadForCli, ModelOptionError, type ModelCliOptions } from './model-options.js';

interface ServeCli extends ModelCliOptions {
  host: string;
  port: string;
  apiKey?: string;
  maxBody: string;
  maxSeqs?: string;
  maxBatchedTokens?: string;
  kvMemory?: string;
  kvType: string;
  blockTokens?: string;
  prefixCache: boolean;
  maxQueue: string;
  name?: string;
}

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) {
    bytes /= 1024;
    i++;
  }
  return `${bytes.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function registerServe(program: Command): void {
  const cmd = program.command('serve').description('serve a model over an OpenAI-compatible HTTP API, with a chat page at /');
  addModelOptions(cmd)
    .option('--host <addr>', 'address to bind (0.0.0.0 to listen on every interface)', '127.0.0.1')
    .option('--port <n>', 'TCP port (0 picks a free one)', '8080')
    .option('--api-key <key>', "require 'Authorization: Bearer KEY' on /v1/* and /metrics (default: $YI_API_KEY, else none)")
    .option('--max-body <size>', 'largest request body (413 past it)', '1MiB')
    .option('--max-seqs <n>', 'requests generated for at once (default 16)')
    .option('--max-batched-tokens <n>', 'tokens per engine step: decodes plus prompt chunks (default 256)')
    .option('--kv-memory <size>', 'memory of the KV block pool, e.g. 2GiB (default: --max-seqs full contexts, at most 1GiB)')
    .option('--kv-type <type>', 'K/V element type: f32, or int8 (per block and head scales, a quarter of the memory)', 'f32')
    .option('--block-tokens <n>', 'tokens per KV block (default 16)')
    .option('--no-prefix-cache', 'do not share the KV blocks of identical prompt prefixes between requests')
    .option('--max-queue <n>', 'requests allowed to wait; more get 429', '64')
    .option('--name <id>', 'the model id clients use (default: the model file or folder name)')
    .action(async (o: ServeCli) => {
      const port = intOption('port', o.port, 0)!;
      if (port > 65535) throw new ModelOptionError(`--port must be at most 65535, got '${o.port}'`);
      const maxBody = byteSizeOption('max-body', o.maxBody)!;
      // The engine sizes its own steps; yi chat's prompt chunk size has no meaning here.
      if (o.batch !== undefined) throw new ModelOptionError(`yi serve takes no --batch: the tokens of an engine step are --max-batched-tokens`);
      if (o.kvType !== 'f32' && o.kvType !== 'int8') throw new ModelOptionError(`--kv-type must be f32 or int8, got '${o.kvType}'`);
      const modelName = o.name ?? basename(o.model.replace(/[/\\]+$/, '')).replace(/\.gguf$/i, '');
      const knobs: Omit<EngineOptions, 'sampler' | 'contextLength'> = {
        modelName,
        maxSeqs: intOption('max-seqs', o.maxSeqs, 1),
        maxBatchedTokens: intOption('max-batched-tokens', o.maxBatchedTokens, 1),
        kvMemory: byteSizeOption('kv-memory', o.kvMemory),
        kvType: o.kvType as KVType,
        blockTokens: intOption('block-tokens', o.blockTokens, 1),
        prefixCaching: o.prefixCache,
        maxWaiting: intOption('max-queue', o.maxQueue, 0)!,
      };
      const apiKey = o.apiKey ?? (process.env.YI_API_KEY || undefined);
      let contextLength: number | undefined;
      const { rt, model, tokenizer, chatTemplate } = await loadForCli(o, {
        quiet: true,
        size: (cfg, ctx) => {
          contextLength = ctx;
          return serveModelOptions(cfg, { ...knobs, contextLength });
        },
      });
      let engine;
      try {
        engine = createEngine(model, { ...knobs, contextLength, sampler: createSampler });
      } catch (e) {
        model.dispose();
        await rt.close();
        throw e;
      }
      const server = createServer({ engine, tokenizer, chatTemplate, templateSource: chatTemplate === undefined ? undefined : `${o.model} chat template`, apiKey, maxBodyBytes: maxBody });
      let addr;
      try {
        addr = await server.listen(port, o.host);
      } catch (e) {
        await engine.close();
        await rt.close();
        throw new ModelOptionError(`cannot listen on ${o.host}:${port}: ${(e as Error).message}`);
      }
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      const url = `http://${host}:${addr.port}`;
      const s = engine.stats();
      const capacityTokens = s.kvBlocksTotal * s.blockTokens;
      const out = process.stdout;
      out.write(`yi serve: ${url}  (chat page at ${url}/)\n`);
      out.write(`model: ${modelName} (${o.model}), context ${engine.contextLength} tokens, ${chatTemplate === undefined ? 'ChatML' : "the model's chat template"}\n`);
      out.write(`KV cache: ${s.kvBlocksTotal} blocks of ${s.blockTokens} tokens = ${capacityTokens} tokens, ${human(capacityTokens * s.kvBytesPerToken)}\n`);
      out.write(`batching: up to ${engine.settings.maxSeqs} requests at once, ${engine.settings.maxBatchedTokens} tokens a step, prefix cache ${knobs.prefixCaching ? 'on' : 'off'}, KV ${knobs.kvType}\n`);
      const auth = apiKey ? ` -H "Authorization: Bearer $YI_API_KEY"` : '';
      out.write(`try: curl ${url}/v1/chat/completions -H "Content-Type: application/json"${auth} -d '{"model": "${modelName}", "messages": [{"role": "user", "content": "Hello!"}]}'\n`);

      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (sig: string) => {
          if (stopping) {
            process.stderr.write(`yi serve: ${sig} again, cancelling running requests\n`);
            void engine.close({ graceful: false });
            return;
          }
          stopping = true;
          process.stderr.write(`yi serve: ${sig}, finishing running requests (${sig} again cancels them)\n`);
          void server.close({ graceful: true }).then(resolve, resolve);
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
      });
      model.dispose();
      await rt.close();
      process.stderr.write('yi serve: stopped\n');
    });
}

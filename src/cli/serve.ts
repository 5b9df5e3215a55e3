// `yi serve`: the OpenAI-compatible server (src/serve/http) over a model loaded as `yi chat` loads it,
// with the chat page at /. Prints the URL, the model, the KV capacity and a curl line; SIGTERM or
// SIGINT closes it gracefully (running requests finish) and exits 0.
import type { Command } from 'commander';
import { basename } from 'node:path';
import type { Engine } from '../serve/engine-api.js';
import { createServer } from '../serve/http/server.js';
import { SequentialEngine } from '../serve/sequential-engine.js';
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
  maxQueue: string;
  name?: string;
}

/** The scheduler's knobs, read by the batched engine (the sequential one runs one request at a time). */
export interface EngineKnobs {
  maxSeqs?: number;
  maxBatchedTokens?: number;
  kvMemoryBytes?: number;
  maxQueue: number;
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
    .option('--max-seqs <n>', 'requests generated for at once (batched engine)')
    .option('--max-batched-tokens <n>', 'tokens per engine step (batched engine)')
    .option('--kv-memory <size>', 'memory of the KV block pool, e.g. 2GiB (batched engine)')
    .option('--max-queue <n>', 'requests allowed to wait; more get 429', '64')
    .option('--name <id>', 'the model id clients use (default: the model file or folder name)')
    .action(async (o: ServeCli) => {
      const port = intOption('port', o.port, 0)!;
      if (port > 65535) throw new ModelOptionError(`--port must be at most 65535, got '${o.port}'`);
      const maxBody = byteSizeOption('max-body', o.maxBody)!;
      const knobs: EngineKnobs = {
        maxSeqs: intOption('max-seqs', o.maxSeqs, 1),
        maxBatchedTokens: intOption('max-batched-tokens', o.maxBatchedTokens, 1),
        kvMemoryBytes: byteSizeOption('kv-memory', o.kvMemory),
        maxQueue: intOption('max-queue', o.maxQueue, 0)!,
      };
      const apiKey = o.apiKey ?? (process.env.YI_API_KEY || undefined);
      const { rt, model, tokenizer, chatTemplate } = await loadForCli(o, { quiet: true });
      const modelName = o.name ?? basename(o.model.replace(/[/\\]+$/, '')).replace(/\.gguf$/i, '');
      const engine: Engine = new SequentialEngine({ model, modelName, maxQueue: knobs.maxQueue });
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
      if (knobs.maxSeqs !== undefined || knobs.maxBatchedTokens !== undefined || knobs.kvMemoryBytes !== undefined) {
        out.write('note: --max-seqs, --max-batched-tokens and --kv-memory are read by the batched engine; this build serves one request at a time\n');
      }
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

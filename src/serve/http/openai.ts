// POST /v1/completions and /v1/chat/completions: a validated body becomes prompts (token ids) and
// sampling parameters, each prompt x n choices goes to the engine, and the choices come back as one
// JSON response or as server-sent events, in OpenAI's shapes.
import { randomBytes, randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChatTemplateError, encodeChat, type ChatMessage } from '../../tokenizer/chat.js';
import type { Tokenizer } from '../../tokenizer/tokenizer.js';
import type { Engine, SamplingParams, TokenEvent } from '../engine-api.js';
import { ApiError, badRequest } from './errors.js';
import { Choice, submitAll, type ChoiceFinish, type ChoiceResult } from './generation.js';
import type { ServerMetrics } from './metrics.js';
import { chatSchema, completionSchema, parseBody, type ChatBody, type CompletionBody } from './schemas.js';
import { SseWriter } from './sse.js';

export interface ApiContext {
  engine: Engine;
  tokenizer: Tokenizer;
  /** The model's chat template (ChatML when absent) and where it came from, for errors. */
  chatTemplate?: string;
  templateSource?: string;
  metrics: ServerMetrics;
}

type Kind = 'completion' | 'chat';

/** What both endpoints resolve a body to before anything is submitted. */
interface Plan {
  kind: Kind;
  id: string;
  created: number;
  model: string;
  prompts: number[][];
  n: number;
  /** Per prompt: sampling with the choice's seed filled in later. */
  sampling: (promptTokens: number) => Omit<SamplingParams, 'seed'>;
  seed: number;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
}

function checkModel(ctx: ApiContext, model: string): void {
  if (model !== ctx.engine.modelName) {
    throw new ApiError(404, `the model '${model}' does not exist; this server serves '${ctx.engine.modelName}' (GET /v1/models)`, 'not_found_error', 'model', 'model_not_found');
  }
}

/** Sampling fields shared by both endpoints; `maxTokens` as requested (undefined = up to the context). */
function planSampling(ctx: ApiContext, body: CompletionBody | ChatBody, promptParam: string, maxTokens: number | undefined, logprobs: number | null): Plan['sampling'] {
  const context = ctx.engine.contextLength;
  const stopTokens = body.ignore_eos ? [] : ctx.tokenizer.endOfGenerationIds;
  return (promptTokens) => {
    if (promptTokens + 1 > context) {
      throw badRequest(`the prompt has ${promptTokens} tokens; this model's context holds ${context}, with room for at least one generated token`, promptParam, 'context_length_exceeded');
    }
    if (maxTokens !== undefined && promptTokens + maxTokens > context) {
      throw badRequest(
        `this model's context holds ${context} tokens, but ${promptTokens + maxTokens} were requested (${promptTokens} in the prompt, ${maxTokens} to generate); ask for at most ${context - promptTokens}`,
        'max_tokens',
        'context_length_exceeded',
      );
    }
    return {
      temperature: body.temperature ?? 1,
      topP: body.top_p ?? 1,
      topK: body.top_k === -1 ? 0 : (body.top_k ?? 0),
      minP: body.min_p ?? 0,
      presencePenalty: body.presence_penalty ?? 0,
      frequencyPenalty: body.frequency_penalty ?? 0,
      maxTokens: maxTokens ?? context - promptTokens,
      stopTokens,
      logprobs,
    };
  };
}

function common(ctx: ApiContext, kind: Kind, body: CompletionBody | ChatBody) {
  checkModel(ctx, body.model);
  if (body.stream_options && !body.stream) throw badRequest("'stream_options' is only allowed with stream: true", 'stream_options');
  const stop = body.stop === undefined || body.stop === null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop;
  return {
    kind,
    id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomBytes(12).toString('hex')}`,
    created: Math.floor(Date.now() / 1e3),
    model: ctx.engine.modelName,
    n: body.n ?? 1,
    // Unseeded requests still get a seed: one stream per request, drawn from the OS.
    seed: body.seed === undefined || body.seed === null ? randomInt(2 ** 32) : ((body.seed % 2 ** 32) + 2 ** 32) % 2 ** 32,
    stop,
    stream: body.stream ?? false,
    includeUsage: body.stream_options?.include_usage ?? false,
  };
}

function completionPlan(ctx: ApiContext, raw: unknown): Plan {
  const body = parseBody(completionSchema, raw);
  const c = common(ctx, 'completion', body);
  const p = body.prompt;
  const list: (string | number[])[] = typeof p === 'string' ? [p] : typeof p[0] === 'number' ? [p as number[]] : (p as (string | number[])[]);
  const vocab = ctx.engine.vocabSize;
  const prompts = list.map((x, i) => {
    if (typeof x === 'string') {
      const ids = ctx.tokenizer.encode(x, { parseSpecial: true });
      if (ids.length === 0) throw badRequest('the prompt is empty', list.length > 1 ? `prompt.${i}` : 'prompt');
      return ids;
    }
    const bad = x.findIndex((t) => t >= vocab || t >= ctx.tokenizer.vocabSize);
    if (bad >= 0) throw badRequest(`token ${x[bad]} is outside the vocabulary [0, ${Math.min(vocab, ctx.tokenizer.vocabSize)})`, list.length > 1 ? `prompt.${i}.${bad}` : `prompt.${bad}`);
    return x;
  });
  // OpenAI's default for completions is 16 tokens.
  return { ...c, prompts, sampling: planSampling(ctx, body, 'prompt', body.max_tokens ?? 16, body.logprobs ?? null) };
}

function chatPlan(ctx: ApiContext, raw: unknown): Plan {
  const body = parseBody(chatSchema, raw);
  const c = common(ctx, 'chat', body);
  if (body.top_logprobs !== undefined && body.top_logprobs !== null && !body.logprobs) throw badRequest("'top_logprobs' needs logprobs: true", 'top_logprobs');
  if (body.max_tokens != null && body.max_completion_tokens != null) throw badRequest("give 'max_tokens' or 'max_completion_tokens', not both", 'max_completion_tokens');
  const messages: ChatMessage[] = body.messages.map((m) => ({
    role: m.role === 'developer' ? 'system' : m.role,
    content: typeof m.content === 'string' ? m.content : m.content.map((part) => part.text).join(''),
  }));
  let ids: number[];
  try {
    ids = encodeChat(ctx.tokenizer, messages, { template: ctx.chatTemplate, templateSource: ctx.templateSource });
  } catch (e) {
    // The template may refuse a conversation (raise_exception on a role order it does not take).
    if (e instanceof ChatTemplateError) throw badRequest(`the model's chat template refused the messages: ${e.detail}`, 'messages');
    throw e;
  }
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  return { ...c, prompts: [ids], sampling: planSampling(ctx, body, 'messages', maxTokens, body.logprobs ? (body.top_logprobs ?? 0) : null) };
}

// ---- response shapes ----

interface TokenText {
  token: string;
  bytes: number[];
}

function tokenText(tokenizer: Tokenizer, id: number): TokenText {
  if (id >= tokenizer.vocabSize) return { token: '', bytes: [] }; // a padded row of the model's vocabulary
  const piece = tokenizer.idToPiece(id);
  const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
  if (byte) {
    const b = parseInt(byte[1]!, 16);
    return { token: b < 0x80 ? String.fromCharCode(b) : `bytes:\\x${byte[1]!.toLowerCase()}`, bytes: [b] };
  }
  const token = piece.replaceAll('\u2581', ' ');
  return { token, bytes: [...Buffer.from(token, 'utf8')] };
}

function chatLogprobs(tok: Tokenizer, events: TokenEvent[]) {
  return {
    content: events.map((e) => ({
      ...tokenText(tok, e.token),
      logprob: e.logprob ?? 0,
      top_logprobs: (e.topLogprobs ?? []).map((t) => ({ ...tokenText(tok, t.token), logprob: t.logprob })),
    })),
  };
}

function completionLogprobs(tok: Tokenizer, events: TokenEvent[], offsetAt: number) {
  return {
    tokens: events.map((e) => tokenText(tok, e.token).token),
    token_logprobs: events.map((e) => e.logprob ?? 0),
    top_logprobs: events.map((e) => Object.fromEntries((e.topLogprobs ?? []).map((t) => [tokenText(tok, t.token).token, t.logprob]))),
    text_offset: events.map(() => offsetAt),
  };
}

const finishName = (f: ChoiceFinish): 'stop' | 'length' => (f === 'length' ? 'length' : 'stop');

function usage(plan: Plan, results: ChoiceResult[]) {
  const prompt = plan.prompts.reduce((s, p) => s + p.length, 0);
  const completion = results.reduce((s, r) => s + r.info.completionTokens, 0);
  // Each prompt's cache hits, counted once (its first choice).
  const cached = results.filter((_, i) => i % plan.n === 0).reduce((s, r) => s + r.info.cachedPromptTokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } };
}

// ---- the handler ----

/** Runs a completion or chat request to its end (JSON or SSE on `res`); refusals throw ApiError before anything is written. */
export async function handleGeneration(ctx: ApiContext, kind: Kind, raw: unknown, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const plan = kind === 'chat' ? chatPlan(ctx, raw) : completionPlan(ctx, raw);
  const samplings = plan.prompts.map((p) => plan.sampling(p.length));
  const abort = new AbortController();
  // A client that goes away cancels its choices (the engine frees their blocks within a step).
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  req.on('error', () => abort.abort());
  const makers = plan.prompts.flatMap((prompt, p) =>
    Array.from({ length: plan.n }, (_, i) => () => {
      const index = p * plan.n + i;
      const sampling: SamplingParams = { ...samplings[p]!, seed: (plan.seed + index) % 2 ** 32 };
      return new Choice(ctx.engine, ctx.tokenizer, { id: `${plan.id}-${index}`, promptTokens: prompt, sampling, signal: abort.signal }, plan.stop, ctx.metrics);
    }),
  );
  const choices = submitAll(makers);
  const tok = ctx.tokenizer;
  const head = { id: plan.id, object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion', created: plan.created, model: plan.model };
  const usageNull = plan.includeUsage ? { usage: null } : {};

  if (!plan.stream) {
    let results: ChoiceResult[];
    try {
      results = await Promise.all(choices.map((c) => c.run()));
    } catch (e) {
      for (const c of choices) c.handle.cancel();
      throw e;
    }
    if (abort.signal.aborted) return;
    const body =
      kind === 'chat'
        ? {
            id: plan.id,
            object: 'chat.completion',
            created: plan.created,
            model: plan.model,
            choices: results.map((r, index) => ({
              index,
              message: { role: 'assistant', content: r.text },
              logprobs: choices[index]!.req.sampling.logprobs === null ? null : chatLogprobs(tok, r.tokens),
              finish_reason: finishName(r.finishReason),
            })),
            usage: usage(plan, results),
          }
        : {
            ...head,
            choices: results.map((r, index) => ({
              index,
              text: r.text,
              logprobs: choices[index]!.req.sampling.logprobs === null ? null : completionLogprobs(tok, r.tokens, 0),
              finish_reason: finishName(r.finishReason),
            })),
            usage: usage(plan, results),
          };
    const json = JSON.stringify(body);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
    res.end(json);
    return;
  }

  const sse = new SseWriter(res);
  sse.start();
  const runs = choices.map((c, index) => {
    const wantLogprobs = c.req.sampling.logprobs !== null;
    let offset = 0;
    if (kind === 'chat') sse.send({ ...head, choices: [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], ...usageNull });
    c.onDelta((text, events) => {
      const logprobs = !wantLogprobs ? null : kind === 'chat' ? chatLogprobs(tok, events) : completionLogprobs(tok, events, offset);
      offset += text.length;
      const choice = kind === 'chat' ? { index, delta: { content: text }, logprobs, finish_reason: null } : { index, text, logprobs, finish_reason: null };
      sse.send({ ...head, choices: [choice], ...usageNull });
    });
    return c.run().then((r) => {
      const end = finishName(r.finishReason);
      const choice = kind === 'chat' ? { index, delta: {}, logprobs: null, finish_reason: end } : { index, text: '', logprobs: null, finish_reason: end };
      sse.send({ ...head, choices: [choice], ...usageNull });
      return r;
    });
  });
  try {
    const results = await Promise.all(runs);
    if (plan.includeUsage) sse.send({ ...head, choices: [], usage: usage(plan, results) });
  } catch (e) {
    for (const c of choices) c.handle.cancel();
    // Headers are out: the failure goes into the stream, as vLLM does.
    sse.send(new ApiError(500, `generation failed: ${(e as Error).message}`, 'server_error').toJSON());
    console.error(e);
  }
  sse.done();
}

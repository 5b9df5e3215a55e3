// Request bodies of the OpenAI API as zod schemas: every field with its type and range, unknown
// fields refused (a misspelt "max_token" must not be silently ignored). OpenAI fields this server
// does not implement (tools, logit_bias, echo...) are refused by name rather than ignored. null is
// taken as "not given", as OpenAI does.
import { z } from 'zod';
import { badRequest } from './errors.js';

const opt = <T extends z.ZodType>(t: T) => t.nullish();

const stop = z.union([z.string(), z.array(z.string()).max(4, 'at most 4 stop strings')], { error: 'expected a string or an array of at most 4 strings' });
const streamOptions = z.strictObject({ include_usage: opt(z.boolean()) });

/** The sampling fields both endpoints share. */
const common = {
  model: z.string().min(1, 'a model name'),
  max_tokens: opt(z.int().min(1)),
  temperature: opt(z.number().min(0).max(2)),
  top_p: opt(z.number().gt(0).max(1)),
  // -1 is vLLM's "off", 0 ours: both accepted.
  top_k: opt(z.int().min(-1)),
  min_p: opt(z.number().min(0).max(1)),
  presence_penalty: opt(z.number().min(-2).max(2)),
  frequency_penalty: opt(z.number().min(-2).max(2)),
  seed: opt(z.int().min(-(2 ** 53) + 1).max(2 ** 53 - 1)),
  n: opt(z.int().min(1).max(16)),
  stop: opt(stop),
  stream: opt(z.boolean()),
  stream_options: opt(streamOptions),
  user: opt(z.string()),
  /** vLLM's and llama-server's extension: keep generating past end-of-text tokens (benchmarks). */
  ignore_eos: opt(z.boolean()),
};

const tokenIds = z.array(z.int().min(0)).min(1, 'at least one token');

export const completionSchema = z.strictObject({
  ...common,
  prompt: z.union([z.string(), z.array(z.string()).min(1), tokenIds, z.array(tokenIds).min(1)], {
    error: 'expected a string, an array of strings, an array of token ids (integers >= 0) or an array of such arrays, none empty',
  }),
  logprobs: opt(z.int().min(0).max(20)),
  echo: opt(z.literal(false, { error: 'echo is not supported' })),
  best_of: opt(z.literal(1, { error: 'best_of is not supported (use n)' })),
});

const textPart = z.strictObject({ type: z.literal('text'), text: z.string() });
const message = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(textPart).min(1)], { error: 'expected a string or an array of {"type": "text", "text": ...} parts' }),
  name: opt(z.string()),
});

export const chatSchema = z.strictObject({
  ...common,
  messages: z.array(message).min(1, 'at least one message'),
  max_completion_tokens: opt(z.int().min(1)),
  logprobs: opt(z.boolean()),
  top_logprobs: opt(z.int().min(0).max(20)),
});

export type CompletionBody = z.infer<typeof completionSchema>;
export type ChatBody = z.infer<typeof chatSchema>;

/** The value at `path` in `body`, or undefined when some step is missing. */
function at(body: unknown, path: readonly PropertyKey[]): unknown {
  let v = body;
  for (const k of path) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function describe(issue: z.core.$ZodIssue, body: unknown): { param: string | null; message: string } {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    const prefix = path.length ? `${path.join('.')}.` : '';
    return { param: prefix + keys[0], message: `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${prefix}${k}'`).join(', ')}` };
  }
  const param = path.length ? path.join('.') : null;
  // An optional field that is absent raises no issue: an issue at an absent path means a required one.
  if (param !== null && at(body, issue.path) === undefined) return { param, message: `'${param}' is required` };
  return { param, message: `'${param ?? 'body'}': ${issue.message}` };
}

/** The body parsed by `schema`, or a 400 naming the first field at fault. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the request body must be a JSON object');
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const d = describe(r.error.issues[0]!, body);
  throw badRequest(d.message, d.param);
}

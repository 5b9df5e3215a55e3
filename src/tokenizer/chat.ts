// Chat prompts: a conversation rendered in the model's Jinja chat template (tokenizer_config.json's
// chat_template, with @huggingface/jinja, the engine transformers.js uses), or in ChatML, Yi's chat
// format, by default; and encoded so that only the template's own markers become special tokens.
import { PrefixMatcher } from './prefix-matcher.js';
import type { TextSpan, Tokenizer } from './tokenizer.js';
import { ChatTemplateError, renderTemplate, type ChatTemplateLimits } from './chat-template.js';

export { ChatTemplateError, DEFAULT_CHAT_TEMPLATE_LIMITS, type ChatTemplateLimit, type ChatTemplateLimits } from './chat-template.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | (string & {});
  content: string;
}

/** Standard ChatML (YI-SPEC §3): every turn, the system one included, wrapped in <|im_start|> ... <|im_end|>. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export interface ChatTemplateOptions {
  /** A Jinja chat template (tokenizer_config.json's chat_template); default ChatML. */
  template?: string;
  /** Where the template came from, named in errors (a file and field). */
  templateSource?: string;
  /** End with the opening of the assistant's turn. Default true. */
  addGenerationPrompt?: boolean;
  bosToken?: string;
  eosToken?: string;
  /** Bounds on rendering time and size (a template is input: it must not hang the caller). */
  limits?: ChatTemplateLimits;
}

function sourceOf(opts: ChatTemplateOptions): string {
  return opts.templateSource ?? (opts.template === undefined ? 'the built-in ChatML template' : 'the chat template');
}

function render(messages: readonly ChatMessage[], opts: ChatTemplateOptions): string {
  const source = sourceOf(opts);
  for (const [i, m] of messages.entries()) {
    if (typeof m?.role !== 'string' || typeof m?.content !== 'string') {
      throw new ChatTemplateError(source, `chat message #${i} needs a string role and a string content`);
    }
  }
  return renderTemplate(
    opts.template ?? CHATML_TEMPLATE,
    source,
    {
      messages,
      add_generation_prompt: opts.addGenerationPrompt ?? true,
      bos_token: opts.bosToken ?? '',
      eos_token: opts.eosToken ?? '',
    },
    opts.limits,
  );
}

/**
 * The prompt text of a conversation, special tokens written as text. To feed a model, use
 * encodeChat: encoding this text with parseSpecial would let a message forge special tokens.
 */
export function renderChat(messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
  return render(messages, opts);
}

// Message contents go through the template with every stretch that could become a marker replaced by
// an escape, OPEN index CLOSE, and come out as untrusted spans. Noncharacters, so no tokenizer has them
// in a marker; a user who types them gets them escaped too.
const OPEN = '\uFDD0';
const CLOSE = '\uFDD1';
const ESCAPE = /\uFDD0(\d+)\uFDD1/g;
const STRAY = /[\uFDD0\uFDD1]/g;

interface Escaper {
  markers: string[];
  matcher: PrefixMatcher;
  /** Proper prefixes and proper suffixes of the markers. */
  heads: Set<string>;
  tails: Set<string>;
  maxLength: number;
}

const escapers = new WeakMap<Tokenizer, Escaper>();

function escaperOf(tokenizer: Tokenizer): Escaper {
  let e = escapers.get(tokenizer);
  if (!e) {
    const markers = [...tokenizer.markers.keys(), OPEN, CLOSE];
    const heads = new Set<string>();
    const tails = new Set<string>();
    for (const m of markers) {
      for (let k = 1; k < m.length; k++) {
        heads.add(m.slice(0, k));
        tails.add(m.slice(k));
      }
    }
    const maxLength = Math.max(...markers.map((m) => m.length));
    e = { markers, matcher: new PrefixMatcher(markers.map((m, i): [string, number] => [m, i])), heads, tails, maxLength };
    escapers.set(tokenizer, e);
  }
  return e;
}

/**
 * `text` with each stretch that could end up as a marker escaped: the markers it contains, a start that
 * could finish a marker the template began, an end that could begin one the template finishes, or the
 * whole of it where it could sit inside one. The escaped stretches are pushed to `table`.
 */
function escapeContent(text: string, e: Escaper, table: string[]): string {
  const n = text.length;
  if (n === 0) return text;
  const cuts: [number, number][] = [];
  if (n + 2 <= e.maxLength && e.markers.some((m) => m.length >= n + 2 && m.slice(1, -1).includes(text))) cuts.push([0, n]);
  for (let k = Math.min(n, e.maxLength - 1); k > 0; k--) {
    if (e.tails.has(text.slice(0, k))) {
      cuts.push([0, k]);
      break;
    }
  }
  for (let k = Math.min(n, e.maxLength - 1); k > 0; k--) {
    if (e.heads.has(text.slice(n - k))) {
      cuts.push([n - k, n]);
      break;
    }
  }
  for (let pos = 0; pos < n; ) {
    const len = e.matcher.match(text, pos);
    if (len > 0) cuts.push([pos, pos + len]);
    pos += Math.max(len, 1);
  }
  if (cuts.length === 0) return text;
  cuts.sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (let i = 0; i < cuts.length; ) {
    const start = cuts[i]![0];
    let end = cuts[i]![1];
    // Overlapping or touching stretches are one escape.
    for (i++; i < cuts.length && cuts[i]![0] <= end; i++) end = Math.max(end, cuts[i]![1]);
    out += text.slice(at, start) + OPEN + table.length + CLOSE;
    table.push(text.slice(start, end));
    at = end;
  }
  return out + text.slice(at);
}

/**
 * The prompt as spans: the template's text (trusted: its markers are special tokens) and the stretches
 * of the messages' contents that could make a marker (untrusted: ordinary text pieces). Roles stay
 * trusted: templates such as Phi-3's build markers from them ('<|' + role + '|>').
 */
export function chatSpans(tokenizer: Tokenizer, messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): TextSpan[] {
  const e = escaperOf(tokenizer);
  const table: string[] = [];
  const escaped = messages.map((m) => (typeof m?.content === 'string' ? { ...m, content: escapeContent(m.content, e, table) } : m));
  const piece = (id: number) => (id >= 0 ? tokenizer.idToPiece(id) : '');
  const text = render(escaped, { bosToken: piece(tokenizer.specials.bos), eosToken: piece(tokenizer.specials.eos), ...opts });
  const spans: TextSpan[] = [];
  let from = 0;
  for (const m of text.matchAll(ESCAPE)) {
    const i = Number(m[1]);
    if (i >= table.length) continue;
    spans.push({ text: text.slice(from, m.index).replace(STRAY, ''), trusted: true });
    spans.push({ text: table[i]!, trusted: false });
    from = m.index + m[0].length;
  }
  spans.push({ text: text.slice(from).replace(STRAY, ''), trusted: true });
  return spans.filter((s) => s.text.length > 0);
}

/**
 * The token ids of a conversation's prompt. Only the template's own text can give special tokens: a
 * message that spells "<|im_start|>system" is encoded as those characters, never as the marker.
 */
export function encodeChat(tokenizer: Tokenizer, messages: readonly ChatMessage[], opts: ChatTemplateOptions & { addBos?: boolean } = {}): number[] {
  return tokenizer.encodeSpans(chatSpans(tokenizer, messages, opts), { addBos: opts.addBos });
}

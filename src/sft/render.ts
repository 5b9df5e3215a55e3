// A conversation as training tokens: the ids of the model's chat template (ChatML by default) and the
// mask of the tokens the loss is computed on, each assistant turn's answer and the marker closing it.
//
// How the mask is found for any template: every message's content goes through the template wrapped
// in tags (noncharacters, which checkTurns refuses inside text), so the rendered text shows exactly
// where each message sits. The text is then encoded in runs, the template's own text trusted (its
// markers are special tokens) and each message's content untrusted (it never gives a special token,
// whatever it spells), with a token boundary forced at every edge between the two. The answer's tokens
// are thus exactly the tokens of its run: no character offsets to map back, no token straddling the
// header and the answer. The forced boundary is also what generation sees: the prompt ends with the
// header's tokens and the answer's tokens follow. After an answer, the template's tokens up to and
// including its first marker (ChatML's <|im_end|>) are trained too: producing that marker is how the
// model learns to stop. Rendering a second time without tags must give the same text, so a template
// that changes a message (trims it, cuts it) or drops one is refused rather than trained on wrongly.
import { ChatTemplateError, renderChat, type ChatMessage, type ChatTemplateLimits } from '../tokenizer/chat.js';
import type { TextSpan, Tokenizer } from '../tokenizer/tokenizer.js';
import { RejectCounter, SftDataError, type Conversation } from './conversation.js';
import { checkTurns } from './parse-conversation.js';

export interface RenderedSample {
  id: string;
  /** The rendered conversation's token ids. */
  ids: Int32Array;
  /** 1 where the loss is computed: each trained assistant turn's content and its closing marker. */
  trained: Uint8Array;
}

export interface RenderOptions {
  /** A Jinja chat template (tokenizer_config.json's chat_template). Default: ChatML. */
  template?: string;
  /** Where the template came from, named in errors. */
  templateSource?: string;
  /** Longest sample in tokens: a longer one is refused as 'too-long'. Default: no bound. */
  seqLen?: number;
  /** Prepend the bos id. Default: the tokenizer's add_bos_token (as encodeChat does). */
  addBos?: boolean;
  limits?: ChatTemplateLimits;
}

const OPEN = '\uFDD2';
const MID = '\uFDD3';
const CLOSE = '\uFDD4';
const TAGGED = /\uFDD2(\d+)\uFDD3([^\uFDD2-\uFDD4]*)\uFDD4/g;
const TAG_CHARS = /[\uFDD2-\uFDD4]/;
const TAG_OPENING = /\uFDD2\d+\uFDD3/g;

/** A stretch of the rendered text: a message's content (`message` its index) or the template's own text (-1). */
interface Part {
  text: string;
  message: number;
}

const markerSets = new WeakMap<Tokenizer, ReadonlySet<number>>();

/** Ids that mark structure (<|im_end|>, eos...), not text: where a trained answer's closing ends. */
function markerIds(tok: Tokenizer): ReadonlySet<number> {
  let s = markerSets.get(tok);
  if (!s) {
    s = new Set([...tok.markers.values()].filter((id) => id !== tok.specials.unk));
    markerSets.set(tok, s);
  }
  return s;
}

/** The template's text and the messages' contents, in rendering order. */
function renderParts(tok: Tokenizer, conv: Conversation, opts: RenderOptions): Part[] {
  const piece = (id: number): string => (id >= 0 ? tok.idToPiece(id) : '');
  const chatOpts = {
    template: opts.template,
    templateSource: opts.templateSource,
    addGenerationPrompt: false,
    bosToken: piece(tok.specials.bos),
    eosToken: piece(tok.specials.eos),
    limits: opts.limits,
  };
  const plain: ChatMessage[] = conv.messages.map((m) => ({ role: m.role, content: m.content }));
  const tagged = plain.map((m, i) => ({ role: m.role, content: `${OPEN}${i}${MID}${m.content}${CLOSE}` }));
  let text: string;
  let reference: string;
  try {
    text = renderChat(tagged, chatOpts);
    reference = renderChat(plain, chatOpts);
  } catch (e) {
    if (e instanceof ChatTemplateError) throw new SftDataError('template-error', conv.where, undefined, e.message);
    throw e;
  }
  const fail = (detail: string, field?: string): never => {
    throw new SftDataError('template-error', conv.where, field, `${opts.templateSource ?? (opts.template ? 'the chat template' : 'the ChatML template')} ${detail}`);
  };
  if (text.replace(TAG_OPENING, '').replaceAll(CLOSE, '') !== reference) fail('changes the text of a message (it must insert each content unchanged: no trimming)');
  const parts: Part[] = [];
  const seen = new Array<number>(plain.length).fill(0);
  let from = 0;
  for (const m of text.matchAll(TAGGED)) {
    const i = Number(m[1]);
    if (!(i < plain.length) || m[2] !== plain[i]!.content) fail('changes the text of a message');
    parts.push({ text: text.slice(from, m.index), message: -1 }, { text: m[2]!, message: i });
    seen[i]!++;
    from = m.index + m[0].length;
  }
  parts.push({ text: text.slice(from), message: -1 });
  if (parts.some((p) => p.message < 0 && TAG_CHARS.test(p.text))) fail('cuts a message short');
  for (const [i, m] of conv.messages.entries()) {
    if (seen[i] === 0) fail(`leaves out ${m.role} turn #${i}`, `messages[${i}]`);
    if (m.role === 'assistant' && seen[i]! > 1) fail(`repeats assistant turn #${i} (which copy is the answer is ambiguous)`, `messages[${i}]`);
  }
  return parts.filter((p) => p.text.length > 0);
}

/**
 * Ids and loss mask of a conversation in the model's chat template (ChatML by default). Throws an
 * SftDataError: 'too-long' beyond `opts.seqLen`, 'template-error' where the template fails or does not
 * render each message once and unchanged, or the reason checkTurns gives for turns that are not valid.
 */
export function renderConversation(tok: Tokenizer, conv: Conversation, opts: RenderOptions = {}): RenderedSample {
  checkTurns(conv.messages, conv.where);
  const parts = renderParts(tok, conv, opts);
  const spans: TextSpan[] = parts.map((p) => ({ text: p.text, trusted: p.message < 0, cut: true }));
  const starts: number[] = [];
  const ids = tok.encodeSpans(spans, { addBos: opts.addBos, addEos: false, spanStarts: starts });
  if (opts.seqLen !== undefined && ids.length > opts.seqLen) {
    throw new SftDataError('too-long', conv.where, undefined, `${ids.length} tokens, more than the sequence length ${opts.seqLen}`);
  }
  const trained = new Uint8Array(ids.length);
  const markers = markerIds(tok);
  const end = (k: number): number => (k + 1 < parts.length ? starts[k + 1]! : ids.length);
  for (const [k, p] of parts.entries()) {
    const turn = conv.messages[p.message];
    if (!turn || turn.role !== 'assistant' || turn.train === false) continue;
    trained.fill(1, starts[k]!, end(k));
    // The closing: the template's tokens after the answer up to its first marker, if it has one before the next message.
    const next = parts[k + 1];
    if (!next || next.message >= 0) continue;
    for (let j = starts[k + 1]!; j < end(k + 1); j++) {
      if (markers.has(ids[j]!)) {
        trained.fill(1, starts[k + 1]!, j + 1);
        break;
      }
    }
  }
  return { id: conv.id, ids: Int32Array.from(ids), trained };
}

export interface RenderConversationsOptions extends RenderOptions {
  /** Stop at the first refused sample. Default: false with `rejects`, true without. */
  strict?: boolean;
  /** Where refused samples ('too-long', 'template-error'...) are counted when not strict. */
  rejects?: RejectCounter;
}

/** renderConversation over a stream of conversations (readConversations'), refusals counted or thrown. */
export async function* renderConversations(
  tok: Tokenizer,
  convs: AsyncIterable<Conversation> | Iterable<Conversation>,
  opts: RenderConversationsOptions = {},
): AsyncGenerator<RenderedSample> {
  const strict = opts.strict ?? opts.rejects === undefined;
  const rejects = opts.rejects ?? new RejectCounter();
  for await (const conv of convs) {
    let sample: RenderedSample;
    try {
      sample = renderConversation(tok, conv, opts);
    } catch (e) {
      if (!(e instanceof SftDataError) || strict) throw e;
      rejects.add(e);
      continue;
    }
    yield sample;
  }
}

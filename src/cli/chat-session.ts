// The `yi chat` conversation loop over plain streams, so that it runs (and is tested) without a terminal:
// lines in, streamed replies out, notices on a second stream, and Ctrl-C from a signal source. Ctrl-C
// works as in llama-cli: during a reply (or the prompt before it) it stops that reply and returns to the prompt; at the prompt
// (or a second time before the stopped reply has returned) it ends the session.
import { createInterface } from 'node:readline';
import { generateAsync, type GenerateOptions } from '../model/generate.js';
import type { YiModel } from '../model/model.js';
import { ChatTemplateError, compileChatTemplate } from '../tokenizer/chat-template.js';
import { CHATML_TEMPLATE, encodeChat, type ChatMessage } from '../tokenizer/chat.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';

/** Subscribes a listener to interrupts (SIGINT); returns the unsubscribe function. */
export type InterruptSource = (listener: () => void) => () => void;

export interface ChatSessionOptions {
  model: YiModel;
  tokenizer: Tokenizer;
  /** The model's own chat template; ChatML when absent. */
  template?: string;
  /** Where the template came from (named in notices and errors). */
  templateSource?: string;
  system?: string;
  sampling?: Omit<GenerateOptions, 'onText' | 'signal'>;
  /** What to call the model in the greeting. */
  name?: string;
  input: NodeJS.ReadableStream;
  /** The prompt and the replies. */
  output: NodeJS.WritableStream;
  /** The greeting, command answers and notices. */
  notices: NodeJS.WritableStream;
  interrupts: InterruptSource;
}

/** How the session ended: /exit, end of input (Ctrl-D) or Ctrl-C. */
export type ChatSessionEnd = 'exit' | 'eof' | 'interrupt';

export const CHAT_HELP = [
  'commands:',
  '  /help           this list',
  '  /reset          start a new conversation (the system prompt stays)',
  '  /system TEXT    set the system prompt (/system alone removes it)',
  '  /exit, /quit    leave (so do Ctrl-D and Ctrl-C at the prompt)',
  '  //TEXT          send TEXT starting with one /',
  'Ctrl-C during a reply (or while the message is read) stops the reply.',
].join('\n');

/** A warning for models that do not look like chat models, or undefined. */
export function chatModelNotice(tokenizer: Tokenizer, template: string | undefined): string | undefined {
  if (template !== undefined) return undefined;
  const chatml = ['<|im_start|>', '<|im_end|>'].every((m) => tokenizer.specials.named.has(m));
  if (chatml) return 'note: the model has no chat template (none in tokenizer_config.json or the GGUF); using ChatML';
  return (
    'note: the model has no chat template and no <|im_start|>/<|im_end|> tokens: it looks like a base model, ' +
    'so ChatML markers reach it as plain text and replies may just continue the text'
  );
}

export async function runChatSession(o: ChatSessionOptions): Promise<ChatSessionEnd> {
  const { model, tokenizer, output, notices } = o;
  const templateSource = o.templateSource ?? (o.template === undefined ? 'the built-in ChatML template' : 'the chat template');
  compileChatTemplate(o.template ?? CHATML_TEMPLATE, templateSource); // a broken template fails before the first turn
  notices.write(`chatting with ${o.name ?? 'the model'} (${o.template !== undefined ? "the model's chat template" : 'ChatML'}); /help lists the commands\n`);
  const notice = chatModelNotice(tokenizer, o.template);
  if (notice) notices.write(`${notice}\n`);

  let system = o.system;
  let turns: ChatMessage[] = [];
  const conversation = (): ChatMessage[] => (system ? [{ role: 'system', content: system }, ...turns] : [...turns]);

  // A reply in progress can be stopped; an interrupt with none in progress (or a second one) quits.
  let reply: AbortController | undefined;
  let quit!: () => void;
  const quitting = new Promise<'interrupt'>((resolve) => (quit = () => resolve('interrupt')));
  let quitRequested = false;
  const unsubscribe = o.interrupts(() => {
    if (reply && !reply.signal.aborted) reply.abort();
    else {
      quitRequested = true;
      quit();
    }
  });
  // The async iterator buffers lines, so input piped while a reply is generated is not lost.
  const rl = createInterface({ input: o.input, terminal: false, crlfDelay: Infinity });
  const lines = rl[Symbol.asyncIterator]();
  try {
    for (;;) {
      output.write('> ');
      const next = await Promise.race([lines.next(), quitting]);
      if (next === 'interrupt') {
        output.write('\n');
        return 'interrupt';
      }
      if (next.done) {
        output.write('\n'); // Ctrl-D leaves the cursor after the prompt
        return 'eof';
      }
      let text = next.value.trim();
      if (text.startsWith('/') && !text.startsWith('//')) {
        const command = text.split(/\s/, 1)[0]!;
        const arg = text.slice(command.length).trim();
        if (command === '/exit' || command === '/quit') return 'exit';
        if (command === '/help') notices.write(`${CHAT_HELP}\n`);
        else if (command === '/reset') {
          turns = [];
          model.reset();
          notices.write('(new conversation)\n');
        } else if (command === '/system') {
          system = arg || undefined;
          notices.write(system ? '(system prompt set)\n' : '(system prompt removed)\n');
        } else notices.write(`unknown command ${command}; /help lists the commands (//TEXT sends TEXT starting with /)\n`);
        continue;
      }
      if (text.startsWith('//')) text = text.slice(1);
      if (!text) continue;
      turns.push({ role: 'user', content: text });
      let prompt: number[];
      try {
        prompt = encodeChat(tokenizer, conversation(), { template: o.template, templateSource });
      } catch (e) {
        if (!(e instanceof ChatTemplateError)) throw e;
        turns.pop();
        notices.write(`(${e.message})\n`);
        continue;
      }
      if (prompt.length >= model.contextLength) {
        turns.pop();
        notices.write(`(the conversation no longer fits the context of ${model.contextLength} tokens: /reset to start over, or a larger --ctx)\n`);
        continue;
      }
      reply = new AbortController();
      let r;
      try {
        r = await generateAsync(model, tokenizer, prompt, { ...o.sampling, signal: reply.signal, onText: (t) => output.write(t) });
      } finally {
        reply = undefined;
      }
      output.write('\n');
      if (quitRequested) return 'interrupt';
      if (r.finishReason === 'aborted' && r.tokens.length === 0) {
        // Stopped before the first token (during a long prompt): the message is dropped, so the
        // conversation is as before it; the cache was rolled back by generate, or holds the prompt,
        // which the next turn's prefix match trims either way.
        turns.pop();
        notices.write(`(stopped before the reply, ${r.promptDone} of ${r.promptTokens} prompt tokens read; the message was dropped. Ctrl-C at the prompt quits)\n`);
        continue;
      }
      // A stopped reply stays in the conversation as far as it got (the KV cache holds it too).
      turns.push({ role: 'assistant', content: r.text });
      if (r.finishReason === 'aborted') notices.write('(reply stopped; Ctrl-C at the prompt quits)\n');
      if (r.finishReason === 'context') notices.write('(the context is full: /reset to start a new conversation)\n');
    }
  } finally {
    unsubscribe();
    rl.close();
  }
}

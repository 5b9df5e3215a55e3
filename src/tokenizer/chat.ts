// Chat templates: the Jinja template of a model's tokenizer_config.json, rendered with
// @huggingface/jinja (the same engine transformers.js uses), or ChatML, Yi's chat format, by default.
import { Template } from '@huggingface/jinja';

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
  /** End with the opening of the assistant's turn. Default true. */
  addGenerationPrompt?: boolean;
  bosToken?: string;
  eosToken?: string;
}

export class ChatTemplateError extends Error {}

const compiled = new Map<string, Template>();

/** The prompt text for a conversation (special tokens as text: encode it with parseSpecial). */
export function renderChat(messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
  const source = opts.template ?? CHATML_TEMPLATE;
  for (const [i, m] of messages.entries()) {
    if (typeof m?.role !== 'string' || typeof m?.content !== 'string') {
      throw new ChatTemplateError(`chat message #${i} needs a string role and a string content`);
    }
  }
  let t = compiled.get(source);
  if (!t) {
    try {
      t = new Template(source);
    } catch (e) {
      throw new ChatTemplateError(`chat template does not parse: ${(e as Error).message}`);
    }
    compiled.set(source, t);
  }
  try {
    return t.render({
      messages,
      add_generation_prompt: opts.addGenerationPrompt ?? true,
      bos_token: opts.bosToken ?? '',
      eos_token: opts.eosToken ?? '',
    });
  } catch (e) {
    throw new ChatTemplateError(`chat template failed to render: ${(e as Error).message}`);
  }
}

// `yi chat`: an interactive, streaming, multi-turn conversation in the model's chat template
// (ChatML by default); the KV cache keeps the conversation, so each turn only runs its new tokens.
import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { generate } from '../model/generate.js';
import { renderChat, type ChatMessage } from '../tokenizer/chat.js';
import { addModelOptions, loadForCli, type ModelCliOptions } from './model-options.js';
import { addSamplingOptions, samplingFromCli, type SamplingCliOptions } from './sampling-options.js';

export function registerChat(program: Command): void {
  const cmd = program.command('chat').description('talk with a chat model (type /reset to start over, /exit or Ctrl-D to leave)');
  addModelOptions(cmd);
  addSamplingOptions(cmd)
    .option('-s, --system <text>', 'system prompt')
    .action(async (o: ModelCliOptions & SamplingCliOptions & { system?: string }) => {
      const sampling = samplingFromCli(o); // bad flags fail before the model loads
      const { rt, model, tokenizer, chatTemplate } = await loadForCli(o);
      // The async iterator buffers lines, so piped input that arrives while a turn is generated is
      // not lost (rl.question would drop it), and it ends cleanly on end of input or Ctrl-D.
      const rl = createInterface({ input: process.stdin, terminal: false });
      const lines = rl[Symbol.asyncIterator]();
      const messages: ChatMessage[] = o.system ? [{ role: 'system', content: o.system }] : [];
      process.stderr.write(`chatting with ${o.model} (${chatTemplate ? "the model's chat template" : 'ChatML'}); /reset, /exit\n`);
      try {
        for (;;) {
          process.stdout.write('> ');
          const next = await lines.next();
          if (next.done) break;
          const text = next.value.trim();
          if (text === '/exit') break;
          if (text === '/reset') {
            messages.splice(o.system ? 1 : 0);
            model.reset();
            continue;
          }
          if (!text) continue;
          messages.push({ role: 'user', content: text });
          const piece = (id: number) => (id >= 0 ? tokenizer.idToPiece(id) : '');
          const prompt = renderChat(messages, { template: chatTemplate, bosToken: piece(tokenizer.specials.bos), eosToken: piece(tokenizer.specials.eos) });
          if (tokenizer.encode(prompt, { parseSpecial: true }).length >= model.contextLength) {
            messages.pop();
            process.stderr.write(`(the conversation no longer fits the context of ${model.contextLength} tokens: /reset to start over, or a larger --ctx)\n`);
            continue;
          }
          const r = generate(model, tokenizer, prompt, { ...sampling, onText: (t) => process.stdout.write(t) });
          process.stdout.write('\n');
          messages.push({ role: 'assistant', content: r.text });
          if (r.finishReason === 'context') {
            process.stderr.write('(the context is full: /reset to start a new conversation)\n');
          }
        }
      } finally {
        rl.close();
        await rt.close();
      }
    });
}

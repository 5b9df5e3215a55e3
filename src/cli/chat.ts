// `yi chat`: an interactive, streaming, multi-turn conversation in the model's chat template
// (ChatML by default); the KV cache keeps the conversation, so each turn only runs its new tokens.
// The loop itself is runChatSession (chat-session.ts); this file wires it to the terminal.
import type { Command } from 'commander';
import { join } from 'node:path';
import { runChatSession } from './chat-session.js';
import { addModelOptions, loadForCli, type ModelCliOptions } from './model-options.js';
import { addSamplingOptions, samplingFromCli, type SamplingCliOptions } from './sampling-options.js';

/** Where loadForCli found the chat template, for messages. */
function templateSourceOf(path: string): string {
  return path.endsWith('.gguf') ? `${path} (tokenizer.chat_template)` : `${join(path, 'tokenizer_config.json')} (chat_template)`;
}

export function registerChat(program: Command): void {
  const cmd = program.command('chat').description('talk with a chat model (/help lists the commands; Ctrl-C stops a reply, Ctrl-D or /exit leaves)');
  addModelOptions(cmd);
  addSamplingOptions(cmd)
    .option('-s, --system <text>', 'system prompt')
    .action(async (o: ModelCliOptions & SamplingCliOptions & { system?: string }) => {
      const sampling = samplingFromCli(o); // bad flags fail before the model loads
      const { rt, model, tokenizer, chatTemplate } = await loadForCli(o);
      try {
        const end = await runChatSession({
          model,
          tokenizer,
          template: chatTemplate,
          templateSource: chatTemplate === undefined ? undefined : templateSourceOf(o.tokenizer ?? o.model),
          system: o.system,
          sampling,
          name: o.model,
          input: process.stdin,
          output: process.stdout,
          notices: process.stderr,
          interrupts: (listener) => {
            process.on('SIGINT', listener);
            return () => process.off('SIGINT', listener);
          },
        });
        if (end === 'interrupt') process.exitCode = 130; // the shell's code for "ended by Ctrl-C"
      } finally {
        await rt.close();
      }
    });
}

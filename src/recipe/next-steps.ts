// What the recipe leaves the user with: the kind of model it trained (a small base model: it continues
// text, it does not follow instructions) and a command that samples from it.
import type { YiConfig } from '../model/config.js';
import { shellQuoted } from '../report/shell.js';
import type { RecipeState } from './recipe.js';

/** Parameters of a Yi model (embeddings and the untied output head counted apart). */
export function parameterCount(m: YiConfig): number {
  const attention = m.hidden * m.headDim * (2 * m.heads + 2 * m.kvHeads);
  return m.vocabSize * m.hidden * 2 + m.layers * (2 * m.hidden + attention + 3 * m.hidden * m.ffn) + m.hidden;
}

/** The trained model in one sentence: what it is, what it was trained on, what it can do. */
export function modelKind(state: RecipeState): string {
  const p = state.pretrain;
  if (!p) return 'no model (pretraining has not run)';
  const tokens = p.steps * p.batchTokens;
  return `a small base model (${(parameterCount(p.model) / 1e6).toFixed(2)} M parameters) pretrained on ${count(tokens)} tokens: it continues text, it does not follow instructions or chat`;
}

/** A command that continues `prompt` with the model (`command`: how the user runs yi). */
export function generateCommand(command: string, modelPath: string, prompt: string, maxTokens: number): string {
  return `${command} generate -m ${modelPath} -p ${shellQuoted(prompt)} -n ${maxTokens}`;
}

function count(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)} K` : String(n);
}

/** The chat-finetuned model in one sentence, with what finetuning changed on the held-out questions. */
export function chatModelKind(state: RecipeState): string | undefined {
  const f = state.sft;
  if (!f || f.share === 0 || !f.after) return undefined;
  const pct = (x?: number) => (x === undefined ? '-' : `${(100 * x).toFixed(0)}%`);
  return (
    `the base model finetuned for chat (${f.steps} steps on ${f.trainConversations ?? '?'} chat-facts conversations): ` +
    `held-out exact match ${pct(f.before?.accuracy)} -> ${pct(f.after.accuracy)}, answers ending with <|im_end|> ${pct(f.before?.imEndShare)} -> ${pct(f.after.imEndShare)}`
  );
}

/** The command that chats with the finetuned model. */
export function chatCommand(command: string, modelPath: string): string {
  return `${command} chat --model ${modelPath}`;
}

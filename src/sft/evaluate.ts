// Evaluation on held-out conversations: the answer loss (mean cross-entropy over the tokens the
// training would learn: assistant turns and their <|im_end|>), and greedy answers to the held-out
// prompts (the conversation up to its last assistant turn, plus the generation prompt) scored by
// exact match against the reference answer, with the share of answers the model ends with <|im_end|>.
// Generation runs the inference model (model.ts) on a copy of the trainable's current weights.
import { generate } from '../model/generate.js';
import { YiModel } from '../model/model.js';
import type { LossSum, YiTrainable } from '../model/trainable.js';
import type { Runtime } from '../runtime/runtime.js';
import { dequantize } from '../tensor/ops/quant.js';
import { Tensor } from '../tensor/tensor.js';
import { encodeChat } from '../tokenizer/chat.js';
import type { BaseModel } from './base-model.js';
import type { SftBatch } from './pack.js';
import { exactMatch } from './score.js';
import { lastAssistant, type HeldoutConversation } from './dataset.js';
import type { Conversation } from './conversation.js';
import { fewShotPrompt, type FewShotFormat, type FewShotOptions } from './few-shot.js';

/** Mean cross-entropy over the trained tokens of the held-out batches (undefined without any). */
export function heldoutLoss(model: YiTrainable, batches: readonly SftBatch[]): number | undefined {
  let sum = 0;
  let count = 0;
  for (const b of batches) {
    const r = segmentedLoss(model, b);
    sum += r.sum;
    count += r.count;
  }
  return count > 0 ? sum / count : undefined;
}

/** The loss of a packed batch, each sample attending to itself only, positions restarting per sample. */
export function segmentedLoss(model: YiTrainable, b: SftBatch): LossSum {
  return model.loss(b.inputs, b.targets, b.B, b.T, { positions: b.positions, segments: b.segments });
}

export interface GenerationSample {
  id: string;
  /** The last user turn (what was asked). */
  question: string;
  /** The reference answer. */
  answer: string;
  /** The model's answer, up to its end-of-turn (or the token limit; in the few-shot text form, its end of line). */
  output: string;
  correct: boolean;
  /** The answer ended with <|im_end|> (not the token limit, nor another end token). */
  endedWithImEnd: boolean;
  /** Few-shot evaluation: the ids of the training conversations shown as solved examples. */
  shots?: string[];
}

export interface GenerationEval {
  /** Prompts answered (held-out conversations whose prompt fits the context). */
  prompts: number;
  correct: number;
  /** correct / prompts. */
  accuracy: number;
  endedWithImEnd: number;
  /** endedWithImEnd / prompts. */
  imEndShare: number;
  /** Solved examples asked for before each question (0: zero-shot). */
  shots?: number;
  /** Few-shot: how the shots were shown. */
  format?: FewShotFormat;
  samples: GenerationSample[];
}

export interface GenerationEvalOptions {
  /** Most tokens of each answer (default 64). */
  maxNewTokens?: number;
  /** Most held-out prompts answered (default 200: the first ones, in file order). */
  limit?: number;
  /** Few-shot prompts (shots from `pool`, the training conversations) instead of the bare conversation. */
  fewShot?: FewShotOptions & { pool: readonly Conversation[] };
  /** Few-shot: most tokens of a prompt plus its answer; shots are dropped to fit (default: the model's positions). */
  maxContext?: number;
  /** Called after each answer with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** A held-out question as the model is asked it. */
export interface EvalPrompt {
  h: HeldoutConversation;
  ids: number[];
  question: string;
  /** The answer is the first non-empty line of the generation (the few-shot text form). */
  firstLine?: boolean;
  shots?: string[];
}

/** The zero-shot prompts (conversation up to its last assistant turn plus the generation prompt) or the few-shot ones. */
export function evalPrompts(base: BaseModel, heldout: readonly HeldoutConversation[], o: { limit?: number; maxNewTokens?: number; fewShot?: GenerationEvalOptions['fewShot']; maxContext: number }): EvalPrompt[] {
  const chosen = heldout.slice(0, o.limit ?? 200);
  return chosen.map((h) => {
    const last = lastAssistant(h.conv);
    const before = h.conv.messages.slice(0, last.index);
    const question = [...before].reverse().find((m) => m.role === 'user')?.content ?? '';
    if (o.fewShot) {
      const p = fewShotPrompt(base.tokenizer, h, o.fewShot.pool, { ...o.fewShot, template: base.chatTemplate, templateSource: base.templateSource, maxTokens: o.maxContext, maxNewTokens: o.maxNewTokens ?? 64 });
      return { h, ids: p.ids, question, firstLine: p.firstLine, shots: p.shots.map((s) => s.id) };
    }
    const ids = encodeChat(base.tokenizer, before, { template: base.chatTemplate, templateSource: base.templateSource, addGenerationPrompt: true });
    return { h, ids, question };
  });
}

/** What answering one prompt gave: the generated tokens (without a stop token) and whether <|im_end|> ended them. */
export type Answerer = (p: EvalPrompt, maxTokens: number) => { tokens: number[]; stoppedByImEnd: boolean };

/**
 * Answers each prompt and scores the answers: exact match on the generated text only (up to its first
 * end token), and whether it ended with <|im_end|>. Prompts that cannot fit one answer token are skipped.
 */
export async function scoreAnswers(base: Pick<BaseModel, 'tokenizer' | 'imEnd'>, prompts: readonly EvalPrompt[], answer: Answerer, o: { maxNewTokens: number; contextLength: number; onProgress?: (done: number, total: number) => void }): Promise<Omit<GenerationEval, 'shots' | 'format'>> {
  const eos = base.tokenizer.endOfGenerationIds.filter((id) => id !== base.imEnd);
  const samples: GenerationSample[] = [];
  for (const [i, p] of prompts.entries()) {
    if (p.ids.length >= o.contextLength) continue; // cannot fit one answer token: not asked
    const r = answer(p, Math.min(o.maxNewTokens, o.contextLength - p.ids.length));
    // Stopping on <|im_end|> only tells which end token came; an answer ends at the first of them.
    const cut = r.tokens.findIndex((t) => eos.includes(t));
    const tokens = cut >= 0 ? r.tokens.slice(0, cut) : r.tokens;
    const text = base.tokenizer.decode(tokens);
    const output = p.firstLine ? firstLine(text) : text;
    const endedWithImEnd = cut < 0 && r.stoppedByImEnd;
    samples.push({ id: p.h.conv.id, question: p.question, answer: p.h.answer, output, correct: exactMatch(output, p.h.answer), endedWithImEnd, ...(p.shots ? { shots: p.shots } : {}) });
    o.onProgress?.(i + 1, prompts.length);
    // A turn for timers and signals between answers.
    await new Promise((r) => setImmediate(r));
  }
  const correct = samples.filter((s) => s.correct).length;
  const ended = samples.filter((s) => s.endedWithImEnd).length;
  const n = samples.length;
  return { prompts: n, correct, accuracy: n ? correct / n : 0, endedWithImEnd: ended, imEndShare: n ? ended / n : 0, samples };
}

/** Greedy answers of the trainable's current weights to the held-out prompts (zero-shot, or few-shot), scored. */
export async function generationEval(rt: Runtime, trainable: YiTrainable, base: BaseModel, heldout: readonly HeldoutConversation[], o: GenerationEvalOptions = {}): Promise<GenerationEval> {
  const maxNew = o.maxNewTokens ?? 64;
  const cfg = trainable.config;
  const prompts = evalPrompts(base, heldout, { limit: o.limit, maxNewTokens: maxNew, fewShot: o.fewShot, maxContext: Math.min(cfg.maxPositions, o.maxContext ?? cfg.maxPositions) });
  const longest = Math.max(1, ...prompts.map((p) => p.ids.length));
  const contextLength = Math.min(cfg.maxPositions, longest + maxNew);
  const model = inferenceModel(rt, trainable, contextLength);
  try {
    const answer: Answerer = (p, maxTokens) => {
      // The text form needs one line: stop once a non-empty line has ended.
      const done = new AbortController();
      let text = '';
      const onText = p.firstLine
        ? (t: string) => {
            text += t;
            if (/\S[^\n]*\n/u.test(text)) done.abort();
          }
        : undefined;
      const r = generate(model, base.tokenizer, p.ids, { temperature: 0, maxTokens, stopTokens: [base.imEnd], onText, signal: done.signal });
      return { tokens: r.tokens, stoppedByImEnd: r.finishReason === 'stop' };
    };
    const r = await scoreAnswers(base, prompts, answer, { maxNewTokens: maxNew, contextLength, onProgress: o.onProgress });
    return { ...r, shots: o.fewShot?.shots ?? 0, ...(o.fewShot ? { format: o.fewShot.format } : {}) };
  } finally {
    model.dispose();
  }
}

/**
 * An inference model holding the trainable's current weights in f32, no disk round trip: a copy of
 * each weight; under LoRA the frozen base (dequantized when q8_0/q4_0) plus scale * B A, as merged.
 */
export function inferenceModel(rt: Runtime, trainable: YiTrainable, contextLength: number): YiModel {
  return YiModel.create(rt, trainable.config, 'f32', (name, t) => fillWeight(trainable, name, t), { contextLength, batch: 64 });
}

function halfToF32(src: Tensor): Tensor {
  const out = Tensor.zeros(src.rt, 'f32', src.shape, src.arena);
  src.rt.parallel('convert_f16_f32', src.arena, [src.offset, out.offset], src.numel, 8, 1 << 14);
  return out;
}

function fillWeight(trainable: YiTrainable, name: string, t: Tensor): void {
  const src = trainable.frozen.get(name) ?? trainable.param(name).value;
  if (src.dtype === 'f32') t.bytes().set(src.bytes());
  else {
    // A q8_0/q4_0 base; matrices whose rows are not whole blocks fell back to f16 (weight-types.ts).
    const d = src.dtype === 'f16' ? halfToF32(src) : dequantize(src);
    try {
      t.bytes().set(d.bytes());
    } finally {
      d.dispose();
    }
  }
  const ad = trainable.adapters.get(name);
  if (!ad) return;
  // W += scale * B A: B [out, r], A [r, in]; views taken after every allocation above.
  const scale = trainable.loraScale!;
  const [out, r] = ad.b.value.shape as [number, number];
  const cols = ad.a.value.shape[1]!;
  const view = (x: Tensor) => x.arena.f32.subarray(x.offset / 4, x.offset / 4 + x.numel);
  const w = view(t);
  const a = view(ad.a.value);
  const b = view(ad.b.value);
  const row = new Float64Array(cols);
  for (let o = 0; o < out; o++) {
    row.fill(0);
    for (let k = 0; k < r; k++) {
      const bk = b[o * r + k]!;
      if (bk === 0) continue;
      for (let i = 0; i < cols; i++) row[i]! += bk * a[k * cols + i]!;
    }
    for (let i = 0; i < cols; i++) w[o * cols + i]! += scale * row[i]!;
  }
}

/** The first line with something on it (a base model answering "A:" may start with a line break). */
export function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '') ?? '';
}

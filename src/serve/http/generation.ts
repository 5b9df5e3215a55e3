// One choice of a request, from token ids to text: submitted to the engine, its tokens decoded as
// they come (never cutting a UTF-8 character), cut at the first stop string (never showing a stop
// string's start), with the tokens behind each piece of text kept for logprobs.
import type { Engine, FinishInfo, GenerateRequest, RequestHandle, TokenEvent } from '../engine-api.js';
import type { Tokenizer } from '../../tokenizer/tokenizer.js';
import { StopStringFilter } from '../../tokenizer/stop-strings.js';
import type { ServerMetrics } from './metrics.js';

export type ChoiceFinish = 'stop' | 'length' | 'cancelled';

export interface ChoiceResult {
  text: string;
  finishReason: ChoiceFinish;
  /** The tokens behind `text` (those past a stop string's start included, as OpenAI counts them). */
  tokens: TokenEvent[];
  info: FinishInfo;
}

/** A piece of text as it becomes safe to show, and the tokens sampled since the previous piece. */
export type DeltaListener = (text: string, tokens: TokenEvent[]) => void;

export class Choice {
  readonly handle: RequestHandle;
  private listener?: DeltaListener;

  /** Submits at once (so that a refusal comes before any response is started). */
  constructor(
    engine: Engine,
    private readonly tokenizer: Tokenizer,
    readonly req: GenerateRequest,
    private readonly stop: readonly string[],
    private readonly metrics: ServerMetrics,
  ) {
    this.handle = engine.submit(req);
  }

  onDelta(listener: DeltaListener): this {
    this.listener = listener;
    return this;
  }

  async run(): Promise<ChoiceResult> {
    const decoder = this.tokenizer.createStreamDecoder();
    const filter = new StopStringFilter(this.stop);
    const tokens: TokenEvent[] = [];
    let pending: TokenEvent[] = [];
    let last = NaN;
    try {
      for await (const ev of this.handle.tokens) {
        const now = performance.now();
        if (!Number.isNaN(last)) this.metrics.interToken.observe((now - last) / 1e3);
        last = now;
        tokens.push(ev);
        pending.push(ev);
        // A model may have more rows than its tokenizer has pieces (padded vocabularies): such a token has no text.
        const shown = filter.push(ev.token < this.tokenizer.vocabSize ? decoder.push(ev.token) : '');
        if (shown || filter.stopped) {
          this.listener?.(shown, pending);
          pending = [];
        }
        if (filter.stopped) {
          this.handle.cancel();
          break;
        }
      }
    } catch (e) {
      this.handle.cancel();
      throw e;
    }
    const info = await this.handle.done;
    let finishReason: ChoiceFinish;
    if (filter.stopped) finishReason = 'stop';
    else {
      finishReason = info.reason;
      // Bytes of an unfinished character before an end-of-text token are dropped, as generate() does.
      const rest = filter.finish(info.reason === 'stop' ? '' : decoder.flush());
      if (rest || pending.length) this.listener?.(rest, pending);
    }
    this.metrics.finish(info, finishReason);
    return { text: filter.text, finishReason, tokens, info };
  }
}

/** Submits every choice, or none: a refusal of one cancels those already queued. */
export function submitAll(make: (() => Choice)[]): Choice[] {
  const out: Choice[] = [];
  try {
    for (const m of make) out.push(m());
  } catch (e) {
    for (const c of out) c.handle.cancel();
    throw e;
  }
  return out;
}

export type { Engine };

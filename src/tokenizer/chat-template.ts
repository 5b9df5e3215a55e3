// Rendering a Jinja chat template with bounds. A chat template comes with a downloaded model, so it is
// input, not code we wrote: `range(1e9)` or a loop that prints 100 MB must fail with a typed error
// in bounded time instead of hanging the chat. @huggingface/jinja is a synchronous tree-walking
// interpreter, so the guard lives inside it: every evaluated node checks the clock, the size of the
// value it made and the text emitted so far, and `range` refuses huge counts before allocating. A
// normal template runs a few thousand nodes: the checks cost it well under a millisecond.
import { Environment, Interpreter, Template } from '@huggingface/jinja';

export interface ChatTemplateLimits {
  /** Longest time one rendering may take, in milliseconds. Default 2000. */
  timeMs?: number;
  /** Most characters (UTF-16 code units) the template may emit, or any one string may hold. Default 16 Mi. */
  outputChars?: number;
  /**
   * Most items a list (a `range()`, a concatenation, the messages) may hold. Default 32 Ki: a for loop
   * sets up a scope per item before its first pass, so this also bounds the time a loop takes to start.
   */
  items?: number;
}

export const DEFAULT_CHAT_TEMPLATE_LIMITS: Required<ChatTemplateLimits> = { timeMs: 2000, outputChars: 16 << 20, items: 1 << 15 };

export type ChatTemplateLimit = keyof ChatTemplateLimits;

/** A chat template that does not parse or render, or messages it cannot take. */
export class ChatTemplateError extends Error {
  constructor(
    /** Where the template came from ('Yi-6B-Chat/tokenizer_config.json chat_template', 'built-in ChatML'). */
    readonly source: string,
    readonly detail: string,
    /** The bound that stopped the rendering, if one did. */
    readonly limit?: ChatTemplateLimit,
  ) {
    super(`${source}: ${detail}`);
    this.name = 'ChatTemplateError';
  }
}

class LimitExceeded extends Error {
  constructor(
    readonly limit: ChatTemplateLimit,
    message: string,
  ) {
    super(message);
  }
}

// The package's typings re-export Interpreter and Environment through extensionless paths that
// NodeNext resolution cannot follow (they arrive as `any`), so the parts used here are typed here.
interface Statement {
  type: string;
}
interface Value {
  type: string;
  value: unknown;
}
interface Scope {
  set(name: string, value: unknown): unknown;
}
interface InterpreterShape {
  evaluate(statement: Statement | undefined, environment: Scope): Value;
  run(program: unknown): Value;
}
const InterpreterBase: new (env: Scope) => InterpreterShape = Interpreter;

/** Statements whose output is made of their children's output, already counted when those ran. */
const COMPOUND = new Set(['Program', 'If', 'For', 'Set', 'Macro', 'CallStatement', 'FilterStatement']);

class GuardedInterpreter extends InterpreterBase {
  private emitted = 0;
  private readonly deadline: number;

  constructor(
    env: Scope,
    private readonly limits: Required<ChatTemplateLimits>,
  ) {
    super(env);
    this.deadline = performance.now() + limits.timeMs;
    // evaluateBlock joins a block's statements into its text (for loops call it once per pass): the
    // place where output accumulates. It is private in the typings, so it is wrapped, not overridden.
    const self = this as unknown as { evaluateBlock(statements: Statement[], env: Scope): Value & { value: string } };
    const block = self.evaluateBlock.bind(this);
    self.evaluateBlock = (statements, environment) => {
      const text = block([], environment);
      for (const statement of statements) {
        const part = block([statement], environment).value;
        if (!COMPOUND.has(statement.type)) this.emit(part.length);
        text.value += part;
        this.checkString(text.value.length);
      }
      return text;
    };
  }

  override evaluate(statement: Statement | undefined, environment: Scope): Value {
    // The clock is read at every node: one node (a loop starting) can take long, and a read is ~50 ns.
    if (performance.now() > this.deadline) {
      throw new LimitExceeded('timeMs', `rendering took longer than the time limit of ${this.limits.timeMs} ms`);
    }
    const v = super.evaluate(statement, environment);
    if (typeof v.value === 'string') this.checkString(v.value.length);
    else if (Array.isArray(v.value)) this.checkItems(v.value.length);
    return v;
  }

  private emit(chars: number): void {
    this.emitted += chars;
    if (this.emitted > this.limits.outputChars) {
      throw new LimitExceeded('outputChars', `the output is longer than the limit of ${this.limits.outputChars} characters`);
    }
  }

  private checkString(chars: number): void {
    if (chars > this.limits.outputChars) {
      throw new LimitExceeded('outputChars', `a string is longer than the limit of ${this.limits.outputChars} characters`);
    }
  }

  private checkItems(n: number): void {
    if (n > this.limits.items) throw new LimitExceeded('items', `a list has ${n} items, more than the limit of ${this.limits.items}`);
  }
}

/** @huggingface/jinja's `range`, counting its items before making them. */
function boundedRange(limit: number): (start: number, stop?: number, step?: number) => number[] {
  return (start, stop, step = 1) => {
    if (stop === undefined) [start, stop] = [0, start];
    if (![start, stop, step].every(Number.isFinite)) throw new Error(`range() needs finite numbers, got (${start}, ${stop}, ${step})`);
    if (step === 0) throw new Error('range() step must not be zero');
    const n = Math.max(0, Math.ceil((stop - start) / step));
    if (n > limit) throw new LimitExceeded('items', `range() of ${n} items is more than the limit of ${limit}`);
    return Array.from({ length: n }, (_, i) => start + i * step);
  };
}

/** strftime_now as @huggingface/jinja has it (Llama 3.1's template prints today's date with it). */
function strftimeNow(format: string): string {
  const d = new Date();
  const pad2 = (n: number) => String(n).padStart(2, '0');
  return format.replace(/%[YmdbBHM%]/g, (t) => {
    switch (t) {
      case '%Y':
        return String(d.getFullYear());
      case '%m':
        return pad2(d.getMonth() + 1);
      case '%d':
        return pad2(d.getDate());
      case '%b':
        return new Intl.DateTimeFormat(undefined, { month: 'short' }).format(d);
      case '%B':
        return new Intl.DateTimeFormat(undefined, { month: 'long' }).format(d);
      case '%H':
        return pad2(d.getHours());
      case '%M':
        return pad2(d.getMinutes());
      default:
        return '%';
    }
  });
}

const compiled = new Map<string, Template>();

/** Parses a template once (cached by its text); a template that does not parse is a ChatTemplateError. */
export function compileChatTemplate(template: string, source: string): Template {
  let t = compiled.get(template);
  if (!t) {
    try {
      t = new Template(template);
    } catch (e) {
      throw new ChatTemplateError(source, `the chat template does not parse: ${(e as Error).message}`);
    }
    compiled.set(template, t);
  }
  return t;
}

/**
 * Renders a chat template with `variables` (messages, add_generation_prompt, bos_token...) within
 * `limits`; any failure, a broken template or a limit reached, is a ChatTemplateError naming `source`.
 */
export function renderTemplate(template: string, source: string, variables: Record<string, unknown>, limits: ChatTemplateLimits = {}): string {
  const t = compileChatTemplate(template, source);
  const bounds = { ...DEFAULT_CHAT_TEMPLATE_LIMITS, ...limits };
  // The globals @huggingface/jinja's Template.render sets up, with range bounded.
  const env: Scope = new Environment();
  const globals: Record<string, unknown> = {
    false: false,
    true: true,
    none: null,
    False: false,
    True: true,
    None: null,
    raise_exception: (message: unknown) => {
      throw new Error(`the template raised an exception: ${String(message)}`);
    },
    range: boundedRange(bounds.items),
    strftime_now: strftimeNow,
    ...variables,
  };
  try {
    for (const [name, value] of Object.entries(globals)) env.set(name, value);
    const interpreter = new GuardedInterpreter(env, bounds);
    const out = interpreter.run(t.parsed).value;
    if (typeof out !== 'string') throw new Error('the template did not produce text');
    return out;
  } catch (e) {
    if (e instanceof LimitExceeded) throw new ChatTemplateError(source, `the chat template failed: ${e.message}`, e.limit);
    // A stack overflow (a macro that calls itself) lands here too, as a RangeError.
    throw new ChatTemplateError(source, `the chat template failed to render: ${(e as Error).message}`);
  }
}

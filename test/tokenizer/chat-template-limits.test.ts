// A chat template is input: hostile ones (huge ranges, endless loops, runaway output) fail with a typed
// ChatTemplateError naming the template and the limit, in bounded time; normal ones render as before.
import { Template } from '@huggingface/jinja';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHATML_TEMPLATE, ChatTemplateError, renderChat, type ChatMessage, type ChatTemplateLimit, type ChatTemplateOptions } from '../../src/tokenizer/chat.js';

const messages: ChatMessage[] = [
  { role: 'system', content: 'You are Yi.' },
  { role: 'user', content: 'Hi' },
];

/** Renders `template`; returns the error and how long it took (a generous bound: this machine is shared). */
function fails(template: string, opts: ChatTemplateOptions = {}, conversation = messages): { error: ChatTemplateError; ms: number } {
  const t0 = performance.now();
  try {
    renderChat(conversation, { template, templateSource: 'hostile/tokenizer_config.json (chat_template)', ...opts });
  } catch (e) {
    assert.ok(e instanceof ChatTemplateError, `a ChatTemplateError, got ${String(e)}`);
    return { error: e, ms: performance.now() - t0 };
  }
  assert.fail(`${template} rendered`);
}

function expectLimit(template: string, limit: ChatTemplateLimit, value: RegExp, opts: ChatTemplateOptions = {}, conversation = messages): void {
  const { error, ms } = fails(template, opts, conversation);
  assert.equal(error.limit, limit, error.message);
  assert.equal(error.source, 'hostile/tokenizer_config.json (chat_template)');
  assert.match(error.message, /^hostile\/tokenizer_config\.json \(chat_template\): /);
  assert.match(error.message, value);
  assert.ok(ms < 15_000, `${template}: ${ms} ms`);
}

test('range(1000000000) is refused before it allocates', () => {
  expectLimit('{% for i in range(1000000000) %}x{% endfor %}', 'items', /range\(\) of 1000000000 items is more than the limit of 32768/);
  expectLimit('{% for i in range(5, 100, 2) %}{% endfor %}', 'items', /limit of 10/, { limits: { items: 10 } });
});

test('runaway output (100 MB) and a doubling string stop at the output limit', () => {
  // A 1 MiB message printed 100 times is 100 MiB.
  expectLimit(
    "{% for i in range(100) %}{% for m in messages %}{{ m['content'] }}{% endfor %}{% endfor %}",
    'outputChars',
    /the output is longer than the limit of 16777216 characters/,
    {},
    [{ role: 'user', content: 'x'.repeat(1 << 20) }],
  );
  expectLimit("{% set s = namespace(t='x') %}{% for i in range(64) %}{% set s.t = s.t + s.t %}{% endfor %}{{ s.t }}", 'outputChars', /limit of 16777216 characters/);
  expectLimit("{% for m in messages %}{{ m['content'] }}{% endfor %}", 'outputChars', /limit of 5 characters/, { limits: { outputChars: 5 } });
});

test('loops that print nothing stop at the time limit', () => {
  const { error, ms } = fails('{% for i in range(30000) %}{% for j in range(30000) %}{% endfor %}{% endfor %}', { limits: { timeMs: 300 } });
  assert.equal(error.limit, 'timeMs');
  assert.match(error.message, /rendering took longer than the time limit of 300 ms/);
  assert.ok(ms >= 300 && ms < 15_000, `${ms} ms`);
});

test('other failures are ChatTemplateErrors naming the source too (recursion, raise_exception, parse errors)', () => {
  for (const [template, detail] of [
    ["{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", /failed to render/],
    ["{{ raise_exception('only user and assistant roles') }}", /the template raised an exception: only user and assistant roles/],
    ['{% for %}', /does not parse/],
  ] as const) {
    const { error } = fails(template);
    assert.equal(error.limit, undefined);
    assert.match(error.message, /^hostile\/tokenizer_config\.json \(chat_template\): /);
    assert.match(error.message, detail);
  }
  assert.throws(() => renderChat(messages, { template: '{% for %}' }), /^ChatTemplateError: the chat template: the chat template does not parse/);
  assert.throws(() => renderChat([{ role: 'user' } as never]), /the built-in ChatML template: chat message #0 needs a string role and a string content/);
});

test('normal templates render exactly as @huggingface/jinja renders them, long conversations included', () => {
  const templates = [
    CHATML_TEMPLATE,
    // Yi-34B-Chat's style: system message raw; trimming, loop variables, namespaces, filters.
    "{% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] %}{% endif %}{% if system_message is defined %}{{ system_message }}{% endif %}{% for message in messages %}{% set content = message['content'] %}{% if message['role'] == 'user' %}{{ '<|im_start|>user\\n' + content + '<|im_end|>\\n<|im_start|>assistant\\n' }}{% elif message['role'] == 'assistant' %}{{ content + '<|im_end|>' + '\\n' }}{% endif %}{% endfor %}",
    "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{{ loop.index }}/{{ loop.length }} {{ m.role | upper }}: {{ m.content | trim }}{% if not loop.last %}\n{% endif %}{% endfor %}{{ ' (' ~ ns.n ~ ' turns)' }}{% for i in range(3) %}{{ i }}{% endfor %}",
  ];
  const long: ChatMessage[] = Array.from({ length: 2000 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `  message ${i} ` + 'x'.repeat(i % 50) }));
  for (const template of templates) {
    for (const conversation of [messages, long]) {
      const want = new Template(template).render({ messages: conversation, add_generation_prompt: true, bos_token: '', eos_token: '' });
      assert.equal(renderChat(conversation, { template }), want);
    }
  }
});

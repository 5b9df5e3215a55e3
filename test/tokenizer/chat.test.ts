import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHATML_TEMPLATE, renderChat } from '../../src/tokenizer/chat.js';

test('ChatML renders system, user and assistant turns and opens the next assistant turn', () => {
  const text = renderChat([
    { role: 'system', content: 'You are Yi.' },
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello!' },
    { role: 'user', content: '1+1?' },
  ]);
  assert.equal(
    text,
    '<|im_start|>system\nYou are Yi.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n',
  );
  assert.equal(renderChat([{ role: 'user', content: 'x' }], { addGenerationPrompt: false }), '<|im_start|>user\nx<|im_end|>\n');
});

test("a model's own template is used (one that leaves the system message unwrapped, like Yi-34B-Chat's)", () => {
  // In the style of Yi-34B-Chat's released template (YI-SPEC §3): the system message is emitted raw.
  const yi34b =
    "{% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] %}{% endif %}{% if system_message is defined %}{{ system_message }}{% endif %}{% for message in messages %}{% set content = message['content'] %}{% if message['role'] == 'user' %}{{ '<|im_start|>user\\n' + content + '<|im_end|>\\n<|im_start|>assistant\\n' }}{% elif message['role'] == 'assistant' %}{{ content + '<|im_end|>' + '\\n' }}{% endif %}{% endfor %}";
  const text = renderChat([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], { template: yi34b });
  assert.equal(text, 'Be brief.<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  assert.notEqual(yi34b, CHATML_TEMPLATE);
});

test('bad templates and messages give clear errors', () => {
  assert.throws(() => renderChat([{ role: 'user', content: 'x' }], { template: '{% for %}' }), /chat template does not parse/);
  assert.throws(() => renderChat([{ role: 'user' } as never]), /chat message #0 needs a string role and a string content/);
});

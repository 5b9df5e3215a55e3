// The chat page of `yi serve`: a conversation sent to /v1/chat/completions with stream: true, the
// answer shown as its server-sent events arrive; Stop aborts the fetch, which cancels the request
// on the server. Plain browser JavaScript, no build step and no CDN.
'use strict';

const $ = (id) => document.getElementById(id);
const log = $('log');
const input = $('input');
const send = $('send');
const stop = $('stop');
const status = $('status');
let messages = [];
let controller = null;
let modelName = null;

for (const id of ['temperature', 'max-tokens', 'system', 'api-key']) {
  const saved = localStorage.getItem(`yi-chat:${id}`);
  if (saved !== null) $(id).value = saved;
  $(id).addEventListener('change', () => localStorage.setItem(`yi-chat:${id}`, $(id).value));
}

function headers() {
  const h = { 'Content-Type': 'application/json' };
  const key = $('api-key').value.trim();
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

function addMessage(role, text) {
  const div = document.createElement('div');
  div.className = `msg ${role}`;
  div.textContent = text;
  log.appendChild(div);
  log.scrollTop = log.scrollHeight;
  return div;
}

async function loadModel() {
  try {
    const r = await fetch('/v1/models', { headers: headers() });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error ? body.error.message : r.statusText);
    modelName = body.data[0].id;
    $('model').textContent = modelName;
  } catch (e) {
    status.textContent = `cannot list the models: ${e.message}`;
  }
}

function setBusy(busy) {
  send.disabled = busy;
  stop.disabled = !busy;
}

/** Reads a server-sent event stream, calling onData with each `data:` payload but [DONE]. */
async function readEvents(body, onData) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data: ')) continue;
        const data = line.slice(6);
        if (data !== '[DONE]') onData(JSON.parse(data));
      }
    }
  }
}

async function ask(text) {
  if (!modelName) await loadModel();
  messages.push({ role: 'user', content: text });
  addMessage('user', text);
  const answer = addMessage('assistant', '');
  answer.dataset.state = 'streaming';
  const system = $('system').value.trim();
  const body = {
    model: modelName,
    messages: system ? [{ role: 'system', content: system }, ...messages] : messages,
    stream: true,
    temperature: Number($('temperature').value),
    max_tokens: Number($('max-tokens').value),
  };
  controller = new AbortController();
  setBusy(true);
  status.textContent = 'generating...';
  let finish = null;
  try {
    const r = await fetch('/v1/chat/completions', { method: 'POST', headers: headers(), body: JSON.stringify(body), signal: controller.signal });
    if (!r.ok) {
      const err = await r.json().catch(() => ({}));
      throw new Error(err.error ? err.error.message : `HTTP ${r.status}`);
    }
    await readEvents(r.body, (chunk) => {
      if (chunk.error) throw new Error(chunk.error.message);
      const c = chunk.choices && chunk.choices[0];
      if (!c) return;
      if (c.delta && c.delta.content) {
        answer.textContent += c.delta.content;
        log.scrollTop = log.scrollHeight;
      }
      if (c.finish_reason) finish = c.finish_reason;
    });
    status.textContent = finish === 'length' ? 'stopped at the token limit' : 'done';
  } catch (e) {
    if (e.name === 'AbortError') status.textContent = 'stopped';
    else {
      answer.classList.add('error');
      answer.textContent += (answer.textContent ? '\n' : '') + `error: ${e.message}`;
      status.textContent = 'error';
    }
  } finally {
    // What was shown stays in the conversation, even when stopped.
    if (!answer.classList.contains('error')) messages.push({ role: 'assistant', content: answer.textContent });
    else messages.pop();
    answer.dataset.state = 'done';
    controller = null;
    setBusy(false);
  }
}

$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = input.value.trim();
  if (!text || controller) return;
  input.value = '';
  ask(text);
});
input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    $('composer').requestSubmit();
  }
});
stop.addEventListener('click', () => controller && controller.abort());
$('new-chat').addEventListener('click', () => {
  if (controller) controller.abort();
  messages = [];
  log.textContent = '';
  status.textContent = '';
});
loadModel();

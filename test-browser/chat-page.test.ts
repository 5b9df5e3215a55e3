// The chat page of `yi serve` in a real browser: headless Chromium (Debian's `chromium` package)
// driven by playwright-core. Types a question and sees the answer stream in, equal to the API's
// answer for the same settings; stops a generation midway, which cancels it on the server.
// `npm run test:browser`; skips with a message where no Chromium is installed (YI_CHROMIUM names another binary).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { MODEL, metric, post, slowSampler, startTinyServer, useTinyModel, type TinyServer } from '../test/serve/tiny-server.js';

const chromiumPath = process.env.YI_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(chromiumPath) ? false : `no Chromium at ${chromiumPath}: install Debian's chromium package (apt-get install chromium) or set YI_CHROMIUM`;
if (skip) console.log(`# skipping the chat page tests: ${skip}`);

// The tiny model's greedy answer to this runs to the token limit (to others it ends at once).
const QUESTION = 'what is 2+2';

const tiny = useTinyModel();
let srv: TinyServer;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let browser: any;

before(async () => {
  if (skip) return;
  await tiny.ready;
  // 80 ms a token: an answer takes long enough to be seen growing and to be stopped. (The sampler
  // blocks this process, playwright's side included, so the test's own steps are slowed too.)
  srv = await startTinyServer(tiny.model(), tiny.tokenizer(), { samplerFactory: slowSampler(80) });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  await srv?.server.close({ graceful: false });
});

async function openPage(temperature: string, maxTokens: string) {
  const page = await browser.newPage();
  await page.goto(`${srv.url}/`);
  await page.click('#settings summary');
  await page.fill('#temperature', temperature);
  await page.fill('#max-tokens', maxTokens);
  return page;
}

test('a question typed in the page gets a streamed answer, the same as the API gives', { skip }, async () => {
  const page = await openPage('0', '30');
  await page.fill('#input', QUESTION);
  await page.press('#input', 'Enter');
  const answer = page.locator('.msg.assistant').last();
  // Part of the answer is on the page while it is still being generated.
  await page.waitForFunction(() => {
    const a = [...document.querySelectorAll('.msg.assistant')].pop() as HTMLElement | undefined;
    return !!a && a.dataset.state === 'streaming' && a.textContent!.length > 0;
  });
  await page.waitForFunction(() => ([...document.querySelectorAll('.msg.assistant')].pop() as HTMLElement).dataset.state === 'done', null, { timeout: 30_000 });
  const shown = await answer.textContent();
  const api = await post(`${srv.url}/v1/chat/completions`, { model: MODEL, messages: [{ role: 'user', content: QUESTION }], temperature: 0, max_tokens: 30 });
  assert.equal(api.status, 200);
  assert.equal(shown, api.json.choices[0].message.content);
  assert.equal(await page.locator('.msg.user').textContent(), QUESTION);
  await page.close();
});

test('Stop ends a generation midway and cancels it on the server', { skip }, async () => {
  const before = metricCancelled(await (await fetch(`${srv.url}/metrics`)).text());
  const page = await openPage('0', '30');
  await page.fill('#input', QUESTION);
  await page.click('#send');
  await page.waitForFunction(() => ([...document.querySelectorAll('.msg.assistant')].pop()?.textContent ?? '').length >= 3);
  // One round trip: the answer must still be running when the click lands (playwright's click() waits
  // on several round trips, each held up by the engine's blocking steps in this process).
  await page.evaluate(() => document.getElementById('stop')!.click());
  await page.waitForFunction(() => document.getElementById('status')!.textContent === 'stopped');
  assert.equal(await page.isEnabled('#send'), true);
  const shown = (await page.locator('.msg.assistant').last().textContent()) as string;
  // Cancelled on the server: one more cancelled generation.
  let m = '';
  for (let i = 0; i < 200; i++) {
    m = await (await fetch(`${srv.url}/metrics`)).text();
    if (metricCancelled(m) > before) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(metricCancelled(m), before + 1, m);
  const full = await post(`${srv.url}/v1/chat/completions`, { model: MODEL, messages: [{ role: 'user', content: QUESTION }], temperature: 0, max_tokens: 30 });
  const whole = full.json.choices[0].message.content as string;
  assert.ok(shown.length > 0 && shown.length < whole.length && whole.startsWith(shown), `${JSON.stringify(shown)} of ${JSON.stringify(whole)}`);
  assert.equal(metric(m, 'yi_requests_running'), 0);
  await page.close();
});

function metricCancelled(text: string): number {
  const m = /^yi_requests_finished_total\{reason="cancelled"\} (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

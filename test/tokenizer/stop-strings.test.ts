// Stop strings over streamed text: held back while they might be starting, cut where they appear,
// the same text whatever the piece boundaries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StopStringFilter } from '../../src/tokenizer/stop-strings.js';

function stream(pieces: string[], stops: string[]): { shown: string[]; text: string; stopped: boolean } {
  const f = new StopStringFilter(stops);
  const shown: string[] = [];
  for (const p of pieces) {
    const s = f.push(p);
    if (s) shown.push(s);
    if (f.stopped) break;
  }
  const rest = f.finish();
  if (rest) shown.push(rest);
  return { shown, text: f.text, stopped: f.stopped };
}

test('a stop string split over pieces ends the text before it, and its start is never shown', () => {
  const r = stream(['Hello ', 'wor', 'ld', '\nUs', 'er: hi'], ['\nUser:']);
  assert.equal(r.text, 'Hello world');
  assert.equal(r.shown.join(''), 'Hello world');
  assert.ok(r.stopped);
  assert.ok(!r.shown.some((s) => s.includes('\n')), JSON.stringify(r.shown));
});

test('a held-back start that does not become the stop string is shown once it cannot', () => {
  const r = stream(['a\nU', 'x'], ['\nUser:']);
  assert.deepEqual(r.shown, ['a', '\nUx']);
  assert.equal(r.text, 'a\nUx');
  assert.ok(!r.stopped);
});

test('held-back text is shown at the end when no stop string came', () => {
  const r = stream(['ab', 'c#'], ['##']);
  assert.deepEqual(r.shown, ['ab', 'c', '#']);
  assert.ok(!r.stopped);
});

test('the earliest of several stop strings wins, whichever is listed first', () => {
  assert.equal(stream(['one two three'], ['three', 'two']).text, 'one ');
  assert.equal(stream(['x', 'y'], ['', 'y']).text, 'x');
});

test('every split of the same text gives the same answer', () => {
  const text = 'The answer is 42.\n\nQ: next';
  for (let a = 0; a <= text.length; a++) {
    for (let b = a; b <= text.length; b += 3) {
      const r = stream([text.slice(0, a), text.slice(a, b), text.slice(b)], ['\n\nQ:', 'zzz']);
      assert.equal(r.text, 'The answer is 42.');
      assert.equal(r.shown.join(''), 'The answer is 42.');
    }
  }
});

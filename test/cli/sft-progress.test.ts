// What `yi sft` shows while it runs without a terminal: the data it read with the reject summary, a step
// line every 10 steps with an ETA timed by the steps alone, and the held-out evaluations.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatusLine } from '../../src/cli/status-line.js';
import { sftProgress } from '../../src/cli/sft-progress.js';
import { RejectCounter, SftDataError } from '../../src/sft/conversation.js';
import { FakeClock, FakeLog } from './fake-terminal.js';

test('the data line, the rejects by reason, step lines with an ETA that leaves out the evaluation before training', () => {
  const log = new FakeLog();
  const clock = new FakeClock();
  const p = sftProgress({ threads: 1, flavor: 'simd128' }, true, new StatusLine(log, { now: clock.now }));
  const rejects = new RejectCounter();
  rejects.records = 12;
  rejects.add(new SftDataError('too-long', 'chat.jsonl:3', undefined, '300 tokens, more than the sequence length 256'));
  p.onEvent({ type: 'data', trainSamples: 11, heldoutSamples: 4, trainedTokens: 200, tokens: 900, rejects, heldoutRejects: new RejectCounter() });
  p.onEvent({ type: 'start', step: 0, steps: 20, parameters: 1e6, trainableParameters: 1e6, batchRows: 8, microBatches: 2 });
  // The evaluation before training takes a minute; then each step 2 s.
  clock.advance(60_000);
  p.onEvent({ type: 'generation', when: 'before', step: 0, result: { prompts: 4, correct: 0, accuracy: 0, endedWithImEnd: 1, imEndShare: 0.25 } });
  for (let step = 1; step <= 20; step++) {
    clock.advance(2000);
    p.onEvent({ type: 'train', step, steps: 20, epoch: 0, tokens: step * 900, trainedTokens: step * 200, loss: 3, lr: 1e-5, gradNorm: 1, tokensPerSecond: 450, elapsedSeconds: 60 + step * 2 });
  }
  p.stop();
  assert.match(log.text, /^data: 11 training conversations \(900 tokens, 200 of them answers\), 4 held out$/m);
  assert.match(log.text, /rejected 1 training sample\(s\):\n {2}1 of 12 samples rejected:\n {4}too-long: 1 \(e\.g\. chat\.jsonl:3: 300 tokens/);
  assert.match(log.text, /held-out answers before finetuning: exact match 0\.0% \(0\/4\), ending with <\|im_end\|> 25\.0%/);
  // Step 10 of 20 at 2 s a step: 20 s left (not inflated by the minute of evaluation).
  assert.match(log.text, /^step 10\/20 epoch 1 loss 3\.0000 .* eta 20s$/m);
});

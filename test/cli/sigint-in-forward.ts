// Loaded into a child `yi` with `node --import`: after the model's first forward step (the first
// chunk of the prompt) the process sends itself YI_TEST_SIGINTS (default 1) SIGINTs, as Ctrl-C
// pressed at that moment would. kill() on the own process delivers before it returns, so the signal
// is pending when the step ends, whatever the machine's speed: no timing in the test.
import { YiModel } from '../../src/model/model.js';

const times = Number(process.env.YI_TEST_SIGINTS ?? '1');
const forward = YiModel.prototype.forward;
let calls = 0;
YiModel.prototype.forward = function (this: YiModel, tokens: ArrayLike<number>) {
  const out = forward.call(this, tokens);
  if (++calls === 1) for (let i = 0; i < times; i++) process.kill(process.pid, 'SIGINT');
  return out;
};

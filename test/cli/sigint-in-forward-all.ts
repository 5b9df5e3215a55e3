// Loaded into a child `yi` with `node --import`: after YI_TEST_SIGINT_AFTER (default 1) calls of
// YiModel.forwardAll (forward steps of a perplexity run) the process sends itself SIGINT, as Ctrl-C
// pressed at that moment would. kill() on the own process delivers before it returns, so the signal
// is pending when the step ends, whatever the machine's speed: no timing in the test.
import { YiModel } from '../../src/model/model.js';

const after = Number(process.env.YI_TEST_SIGINT_AFTER ?? '1');
const forwardAll = YiModel.prototype.forwardAll;
let calls = 0;
YiModel.prototype.forwardAll = function (this: YiModel, ...args: Parameters<YiModel['forwardAll']>) {
  forwardAll.apply(this, args);
  if (++calls === after) process.kill(process.pid, 'SIGINT');
};

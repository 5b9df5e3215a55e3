// Child process of the crash test in tokenize.test.ts: runs tokenizeCorpus with the options given
// as JSON in argv[2] and SIGKILLs itself after `killAfterBatches` encoded batches, mid-shard.
// Without arguments (as when a test runner loads it) it does nothing.
import { tokenizeCorpus, type TokenizeCorpusOptions } from '../../src/train/tokenize.js';

const arg = process.argv[2];
if (arg) {
  const { killAfterBatches, ...opts } = JSON.parse(arg) as TokenizeCorpusOptions & { killAfterBatches: number };
  let batches = 0;
  await tokenizeCorpus({
    ...opts,
    onProgress: () => {
      if (++batches === killAfterBatches) process.kill(process.pid, 'SIGKILL');
    },
  });
}

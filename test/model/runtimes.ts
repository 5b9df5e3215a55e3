// One 1-thread and one 2-thread runtime for a test file (opened before its tests, closed after):
// the model tests compare results across thread counts.
import { after, before } from 'node:test';
import { Runtime } from '../../src/runtime/runtime.js';

export interface RuntimePair {
  rt1: Runtime;
  rt2: Runtime;
}

export function useRuntimePair(arenaBytes = 64 << 20): RuntimePair {
  const pair = {} as RuntimePair;
  before(async () => {
    pair.rt1 = await Runtime.create({ threads: 1, arenaBytes });
    pair.rt2 = await Runtime.create({ threads: 2, arenaBytes });
  });
  after(async () => {
    await pair.rt1.close();
    await pair.rt2.close();
  });
  return pair;
}

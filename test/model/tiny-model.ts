// The yi-tiny fixture loaded for a test file: f32 on a 2-thread runtime, loaded before the tests and
// freed after them.
import { join } from 'node:path';
import { after, before } from 'node:test';
import { loadModel } from '../../src/model/load.js';
import type { YiModel } from '../../src/model/model.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { repoRoot } from '../paths.js';

/** Registers the hooks; `ready` receives the model once it is loaded. */
export function useTinyModel(opts: { contextLength: number; batch: number }, ready: (model: YiModel) => void): void {
  let rt: Runtime;
  let model: YiModel;
  before(async () => {
    rt = await Runtime.create({ threads: 2, arenaBytes: 64 << 20 });
    model = loadModel(rt, join(repoRoot, 'test', 'fixtures', 'yi-tiny'), { dtype: 'f32', ...opts });
    ready(model);
  });
  after(async () => {
    model.dispose();
    await rt.close();
  });
}

// On a model that has seen real text, AWQ's scales (searched on calibration text) make the rounded
// layers' outputs closer to the float ones on held-out text than plain round-to-nearest at the same
// type, for Q4_0 and for Q4_K_M's mix: each whole layer (every matrix rounded) is run on held-out
// activations and compared with the float layer, folded (the AWQ file's weights) and not (plain RTN).
// Over the layers AWQ must be clearly better; a single layer may come out level, not clearly worse.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { measureLayerErrors, searchAwqScales } from '../../../src/model/awq/awq.js';
import { calibrationFromFile } from '../../../src/model/awq/calibration.js';
import { foldScales } from '../../../src/model/awq/fold.js';
import { mixTypeOf } from '../../../src/model/awq/quantize-awq.js';
import { openWeights } from '../../../src/model/source.js';
import { Runtime } from '../../../src/runtime/runtime.js';
import { tinyTokenizer } from '../tiny-tokenizer.js';
import { trainTinyModel, type TrainedModel } from './trained-model.js';

let rt: Runtime;
let tmp: string;
let trained: TrainedModel;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 256 << 20 });
  tmp = mkdtempSync(join(tmpdir(), 'yi-awq-rtn-'));
  trained = trainTinyModel(rt, tmp);
});
after(async () => {
  await rt.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('the fixture model learned something (its loss fell), so its activations are not random', () => {
  assert.ok(trained.lastLoss < trained.firstLoss - 0.3, `${trained.firstLoss} -> ${trained.lastLoss}`);
});

for (const type of ['q4_0', 'q4_k_m'] as const) {
  test(`AWQ lowers the ${type} layers' output error on held-out text below round-to-nearest's`, () => {
    const src = openWeights(trained.folder);
    try {
      const tok = tinyTokenizer();
      const calib = calibrationFromFile(trained.calib, tok, src.config.maxPositions, { tokens: 1024, seqLen: 128 });
      const held = calibrationFromFile(trained.heldOut, tok, src.config.maxPositions, { tokens: 1024, seqLen: 128 });
      const typeOf = mixTypeOf(src, type);
      const search = searchAwqScales(rt, src, calib, typeOf, { grid: 11 });
      // Layers x (qkv, gate/up, down); o_proj's input is skipped under GQA.
      assert.equal(search.groups.length, 2 * 3);
      assert.match(search.skipped.join('\n'), /o_proj.*4 query heads share 2 KV heads/);
      for (const g of search.groups) {
        assert.ok(g.alpha >= 0 && g.alpha <= 1);
        assert.ok(g.error <= g.rtnError, `layer ${g.layer} ${g.group}: the search returned worse than alpha = 0`);
      }
      assert.ok(search.groups.some((g) => g.alpha > 0), 'no group was scaled');

      const rtn = measureLayerErrors(rt, src, held, typeOf);
      const awq = measureLayerErrors(rt, foldScales(src, search.scales), held, typeOf);
      // The scales are searched on calibration text and k-quant products quantize their activations to
      // int8 (which the search does not model), so a layer may come out level on held-out text; none
      // may be clearly worse, and the sum must be clearly better.
      for (const [i, e] of awq.entries()) {
        const r = rtn[i]!.relative;
        assert.ok(e.relative < r * 1.05, `layer ${i}: held-out relative output error ${e.relative} with AWQ, ${r} with round-to-nearest`);
      }
      const sum = (e: { relative: number }[]) => e.reduce((a, b) => a + b.relative, 0);
      assert.ok(sum(rtn) / sum(awq) > 1.1, `summed over layers: ${sum(awq)} with AWQ, ${sum(rtn)} with round-to-nearest`);
    } finally {
      src.close();
    }
  });
}

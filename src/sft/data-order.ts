// The order micro-batches are trained in: epoch after epoch, each epoch the training samples packed
// anew with its own seed (a new order and new packing), a step taking the next `accumulation`
// micro-batches across epoch boundaries. The position ({ epoch, index }) is all a checkpoint needs:
// packing is deterministic, so a resume re-packs the epoch and continues at the same micro-batch.
import { packSamples, type RenderedSample, type SftBatch } from './contract-shim.js';
import { SftError } from './errors.js';

export interface DataOrderState {
  /** The epoch the next micro-batch comes from (0-based). */
  epoch: number;
  /** The next micro-batch within that epoch. */
  index: number;
}

export interface DataOrderOptions {
  seqLen: number;
  /** Sequences (rows) per micro-batch. */
  rows: number;
  packing: boolean;
  seed: number;
}

export class DataOrder {
  private epochBatches: SftBatch[] = [];
  private loadedEpoch = -1;
  private pos: DataOrderState = { epoch: 0, index: 0 };

  constructor(
    private readonly samples: readonly RenderedSample[],
    private readonly o: DataOrderOptions,
  ) {}

  /** The micro-batches of one epoch. */
  batchesOf(epoch: number): SftBatch[] {
    if (epoch !== this.loadedEpoch) {
      // Seeds spread apart so that consecutive epochs' shuffles are unrelated.
      this.epochBatches = packSamples(this.samples, { seqLen: this.o.seqLen, batchSize: this.o.rows, packing: this.o.packing, seed: (this.o.seed * 1000003 + epoch * 7919) >>> 0 });
      this.loadedEpoch = epoch;
    }
    return this.epochBatches;
  }

  /** Micro-batches in the first `epochs` epochs (each epoch packs differently, so each is counted). */
  microBatchesIn(epochs: number): number {
    let n = 0;
    for (let e = 0; e < epochs; e++) n += this.batchesOf(e).length;
    return n;
  }

  /** The next micro-batch, moving on to the next epoch at the end of one. */
  next(): { batch: SftBatch; epoch: number } {
    let batches = this.batchesOf(this.pos.epoch);
    if (this.pos.index >= batches.length) {
      this.pos = { epoch: this.pos.epoch + 1, index: 0 };
      batches = this.batchesOf(this.pos.epoch);
    }
    const epoch = this.pos.epoch;
    const batch = batches[this.pos.index++]!;
    return { batch, epoch };
  }

  state(): DataOrderState {
    return { ...this.pos };
  }

  restore(s: unknown, file: string): void {
    const st = s as Partial<DataOrderState> | undefined;
    if (!st || !Number.isInteger(st.epoch) || st.epoch! < 0 || !Number.isInteger(st.index) || st.index! < 0) {
      throw new SftError(`${file}: field data must be { epoch, index } (whole numbers >= 0), got ${JSON.stringify(s)}`);
    }
    if (st.index! > this.batchesOf(st.epoch!).length) {
      throw new SftError(`${file}: field data.index ${st.index} is past the ${this.batchesOf(st.epoch!).length} micro-batches of epoch ${st.epoch}`);
    }
    this.pos = { epoch: st.epoch!, index: st.index! };
  }
}

// The order micro-batches are trained in: epoch after epoch, each epoch the training samples packed
// anew with its own seed (a new order and new packing), a step taking the next `accumulation`
// micro-batches across epoch boundaries. The position ({ epoch, index }) is all a checkpoint needs:
// packing is deterministic, so a resume re-packs the epoch and continues at the same micro-batch.
import { planEpoch, type EpochPlan, type SftBatch } from './pack.js';
import type { RenderedSample } from './render.js';
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
  private plan?: EpochPlan;
  private loadedEpoch = -1;
  private pos: DataOrderState = { epoch: 0, index: 0 };

  constructor(
    private readonly samples: readonly RenderedSample[],
    private readonly o: DataOrderOptions,
  ) {}

  /** The plan of one epoch (its rows; batches are made on demand). */
  private planOf(epoch: number): EpochPlan {
    if (epoch !== this.loadedEpoch || !this.plan) {
      // Rows hold whole samples; a batch is as long as its longest row (less work without packing).
      this.plan = planEpoch(this.samples, { seqLen: this.o.seqLen, batchSize: this.o.rows, packing: this.o.packing, seed: this.o.seed, trimToLongest: true }, epoch);
      this.loadedEpoch = epoch;
    }
    return this.plan;
  }

  /** Micro-batches in epoch `epoch`. */
  batchesIn(epoch: number): number {
    return this.planOf(epoch).batches;
  }

  /** Micro-batches in the first `epochs` epochs (each epoch packs differently, so each is counted). */
  microBatchesIn(epochs: number): number {
    let n = 0;
    for (let e = 0; e < epochs; e++) n += this.batchesIn(e);
    return n;
  }

  /** The next micro-batch, moving on to the next epoch at the end of one. */
  next(): { batch: SftBatch; epoch: number } {
    if (this.pos.index >= this.batchesIn(this.pos.epoch)) this.pos = { epoch: this.pos.epoch + 1, index: 0 };
    const epoch = this.pos.epoch;
    const batch = this.planOf(epoch).batch(this.pos.index++);
    return { batch, epoch };
  }

  state(): DataOrderState {
    return { ...this.pos };
  }

  restore(s: unknown, file: string): void {
    const st = s as Partial<DataOrderState> | undefined;
    if (!st || !Number.isInteger(st.epoch) || st.epoch! < 0 || !Number.isInteger(st.index) || st.index! < 0) {
      throw new SftError(`${file}: field data.order must be { epoch, index } (whole numbers >= 0), got ${JSON.stringify(s)}`);
    }
    if (st.index! > this.batchesIn(st.epoch!)) {
      throw new SftError(`${file}: field data.order.index ${st.index} is past the ${this.batchesIn(st.epoch!)} micro-batches of epoch ${st.epoch}`);
    }
    this.pos = { epoch: st.epoch!, index: st.index! };
  }
}

// AdamW with decoupled weight decay and global-norm gradient clipping over a model's parameters.
// State (first and second moments) is f32, like the parameters, and lives next to them.
import { adamw } from '../tensor/ops/optimizer.js';
import { sumSquares } from '../tensor/ops/gradient.js';
import { naming } from '../runtime/arena.js';
import { Tensor } from '../tensor/tensor.js';
import type { Param } from '../model/trainable.js';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Pretraining defaults (Llama / Yi practice: beta2 0.95, weight decay 0.1). */
export const PRETRAIN_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
/** Yi chat finetuning (YI-SPEC section 5): beta2 0.999, eps 1e-8, weight decay 0.1. */
export const SFT_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };

export interface StepReport {
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
  /** The factor gradients were multiplied by (1 when not clipped). */
  clipScale: number;
}

export class AdamW {
  /** Optimizer steps taken (the next step is step + 1 in bias correction). */
  step = 0;
  readonly m: Tensor[];
  readonly v: Tensor[];

  constructor(
    readonly params: readonly Param[],
    readonly opts: AdamWOptions,
  ) {
    for (const [k, x] of Object.entries(opts)) if (!Number.isFinite(x)) throw new RangeError(`AdamW ${k} must be a finite number, got ${x}`);
    if (!(opts.beta1 >= 0 && opts.beta1 < 1) || !(opts.beta2 >= 0 && opts.beta2 < 1)) throw new RangeError(`AdamW betas must be in [0, 1), got ${opts.beta1}, ${opts.beta2}`);
    const moment = (p: Param, which: string) => naming(`AdamW ${which} of ${p.name}`, () => Tensor.zeros(p.value.rt, 'f32', p.value.shape, p.value.arena));
    this.m = params.map((p) => moment(p, 'exp_avg'));
    this.v = params.map((p) => moment(p, 'exp_avg_sq'));
  }

  /** The global gradient norm, summed tensor by tensor in a fixed order (any thread count: same bits). */
  gradNorm(): number {
    let s = 0;
    for (const p of this.params) s += sumSquares(p.grad);
    return Math.sqrt(s);
  }

  /**
   * One update with learning rate `lr`: gradients are first scaled so that their global norm is at
   * most `clip` (0 or Infinity: no clipping), as torch.nn.utils.clip_grad_norm_ does.
   */
  update(lr: number, clip: number): StepReport {
    const gradNorm = this.gradNorm();
    if (!Number.isFinite(gradNorm)) throw new RangeError(`the gradient norm is ${gradNorm}: the loss diverged (lower the learning rate)`);
    // PyTorch's clip_coef = max_norm / (total_norm + 1e-6), applied only when it is below 1.
    const clipScale = clip > 0 && Number.isFinite(clip) ? Math.min(1, clip / (gradNorm + 1e-6)) : 1;
    this.step++;
    this.params.forEach((p, i) => {
      adamw(p.value, p.grad, this.m[i]!, this.v[i]!, {
        lr,
        beta1: this.opts.beta1,
        beta2: this.opts.beta2,
        eps: this.opts.eps,
        weightDecay: p.decay ? this.opts.weightDecay : 0,
        step: this.step,
        gradScale: clipScale,
      });
    });
    return { gradNorm, clipScale };
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}

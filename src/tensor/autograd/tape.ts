// A tape of coarse operations for reverse-mode differentiation. Each differentiable op (ops.ts) runs
// its forward kernel at once and records a closure that, given the gradient of its output, adds the
// gradients of its inputs. backward() replays the closures newest first. Gradients are created on
// first use and accumulated after that, so a value used twice (the residual stream) sums both paths.
import type { Arena } from '../../runtime/arena.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { DType } from '../dtype.js';
import { add } from '../ops/activation.js';
import { Tensor } from '../tensor.js';

/** A value on the tape: its tensor and, once backward reaches it, its gradient (same shape, f32). */
export class Var {
  grad?: Tensor;
  constructor(
    readonly value: Tensor,
    /** Whether backward should compute this value's gradient. */
    readonly requiresGrad: boolean,
    /** Parameters keep their gradient tensor across steps (it accumulates); the tape never frees it. */
    readonly isParam = false,
  ) {}

  get shape(): readonly number[] {
    return this.value.shape;
  }
}

interface Entry {
  out: Var;
  backward: (dOut: Tensor) => void;
  /** Tensors the backward closure reads (its saved activations). */
  saved: readonly Tensor[];
}

export class Tape {
  private readonly entries: Entry[] = [];
  /** Storage the tape allocated (values and gradients) by byte offset, freed by dispose(). */
  private readonly owned = new Map<number, Tensor>();
  /** Offsets of gradients handed whole to an input by passGrad: freed by that input, not the producer. */
  private readonly handed = new Set<number>();
  /** Backward closures yet to run that read each owned tensor (by offset): at 0 it is freed. */
  private readonly uses = new Map<number, number>();
  private done = false;

  constructor(
    readonly rt: Runtime,
    /** Every tensor of one tape lives in one arena: kernels see one memory. */
    readonly arena: Arena,
  ) {}

  /** A new zero-filled tensor owned by the tape (freed by dispose). */
  tensor(shape: readonly number[], dtype: DType = 'f32'): Tensor {
    return this.own(Tensor.zeros(this.rt, dtype, shape, this.arena));
  }

  /** A new tensor with undefined contents owned by the tape: for outputs a kernel overwrites whole. */
  blank(shape: readonly number[]): Tensor {
    return this.own(Tensor.empty(this.rt, 'f32', shape, this.arena));
  }

  private own(t: Tensor): Tensor {
    this.owned.set(t.offset, t);
    return t;
  }

  /** Frees a tensor the tape allocated, early (a gradient nobody reads any more). */
  free(t: Tensor): void {
    const own = this.owned.get(t.offset);
    if (own === undefined) return;
    this.owned.delete(t.offset);
    own.dispose();
  }

  /** A value the ops did not produce: an input (no gradient) or a parameter with its gradient tensor. */
  leaf(value: Tensor, grad?: Tensor): Var {
    if (value.arena !== this.arena) throw new Error(`tape: a leaf lives in arena ${value.arena.id}, the tape in arena ${this.arena.id}`);
    const v = new Var(value, grad !== undefined, grad !== undefined);
    if (grad) v.grad = grad;
    return v;
  }

  /**
   * Records how to push the gradient of `out` back to its inputs. `saved` lists the tensors (or whole
   * views of them) that `backward` reads: each is freed once the last closure that reads it has run,
   * so activations live only as long as backward needs them. Returns `out`.
   */
  record(out: Var, backward: (dOut: Tensor) => void, saved: readonly Tensor[] = []): Var {
    if (this.done) throw new Error('tape: backward() already ran; start a new tape');
    if (out.requiresGrad) {
      this.entries.push({ out, backward, saved });
      for (const t of saved) if (this.owned.has(t.offset)) this.uses.set(t.offset, (this.uses.get(t.offset) ?? 0) + 1);
    }
    return out;
  }

  /** A Var for an op's output: it needs a gradient when any input does. */
  output(value: Tensor, ...inputs: Var[]): Var {
    return new Var(value, inputs.some((v) => v.requiresGrad));
  }

  /**
   * Gives `v` the gradient that `write(dst)` produces by overwriting dst. The first contribution
   * becomes v.grad itself; later ones go through a temporary and are added (ops whose kernels can
   * accumulate use accumulateGrad instead).
   */
  setOrAddGrad(v: Var, write: (dst: Tensor) => void): void {
    if (!v.requiresGrad) return;
    if (!v.grad) {
      v.grad = this.blank(v.value.shape);
      write(v.grad);
      return;
    }
    const tmp = this.blank(v.value.shape);
    write(tmp);
    add(v.grad, tmp.reshape(v.grad.shape), v.grad);
    this.free(tmp);
  }

  /**
   * Gives `v` a gradient through a kernel that can accumulate: `write(dst, beta)` must compute
   * dst = contribution + beta * dst, with beta 0 for a fresh gradient (whose contents are undefined:
   * beta 0 must not read them) and 1 for an existing one.
   */
  accumulateGrad(v: Var, write: (dst: Tensor, beta: 0 | 1) => void): void {
    if (!v.requiresGrad) return;
    if (!v.grad) {
      v.grad = this.blank(v.value.shape);
      write(v.grad, 0);
    } else {
      write(v.grad, 1);
    }
  }

  /**
   * Hands a whole gradient tensor to `v` (an op whose input gradient equals its output gradient up to
   * shape, or was computed in place in it): no copy when v has no gradient yet.
   */
  passGrad(v: Var, g: Tensor): void {
    if (!v.requiresGrad) return;
    if (!v.grad) {
      v.grad = g.reshape(v.value.shape);
      // A view of g's storage: the producer must not free it after its backward; v will.
      this.handed.add(g.offset);
      return;
    }
    add(v.grad, g.reshape(v.grad.shape), v.grad);
  }

  /**
   * Runs every recorded backward closure, newest first, starting from d loss / d loss = `seed`
   * (the loss op usually seeds its own gradient and is recorded with a 1-element output).
   * Gradients of intermediate values are freed as soon as their op has used them.
   */
  backward(loss: Var, seed = 1): void {
    if (this.done) throw new Error('tape: backward() already ran');
    this.done = true;
    if (!loss.grad) {
      loss.grad = this.tensor(loss.value.shape);
      loss.grad.arena.f32.fill(seed, loss.grad.offset / 4, loss.grad.offset / 4 + loss.grad.numel);
    }
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const { out, backward, saved } = this.entries[i]!;
      if (out.grad) {
        backward(out.grad);
        if (!out.isParam) {
          if (!this.handed.delete(out.grad.offset)) this.free(out.grad);
          out.grad = undefined;
        }
      } // else nothing downstream depended on it
      for (const t of saved) {
        const n = this.uses.get(t.offset);
        if (n === undefined) continue;
        if (n > 1) this.uses.set(t.offset, n - 1);
        else {
          this.uses.delete(t.offset);
          this.free(t);
        }
      }
    }
    this.entries.length = 0;
  }

  /** Frees everything the tape allocated (values saved for backward, gradients not yet freed). */
  dispose(): void {
    for (const t of this.owned.values()) t.dispose();
    this.owned.clear();
    this.handed.clear();
    this.uses.clear();
    this.entries.length = 0;
    this.done = true;
  }
}

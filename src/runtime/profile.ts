// Opt-in time per kernel (or per labelled call site) of a Runtime: the breakdown the training bench
// prints. Off by default; when on, each dispatch costs two performance.now() calls.

export interface ProfileRow {
  calls: number;
  ms: number;
}

export class KernelProfile {
  readonly rows = new Map<string, ProfileRow>();

  add(label: string, ms: number): void {
    const r = this.rows.get(label);
    if (r) {
      r.calls++;
      r.ms += ms;
    } else {
      this.rows.set(label, { calls: 1, ms });
    }
  }

  /** Milliseconds over all labels. */
  get totalMs(): number {
    let s = 0;
    for (const r of this.rows.values()) s += r.ms;
    return s;
  }

  clear(): void {
    this.rows.clear();
  }
}

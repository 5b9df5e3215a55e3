// One live status line at the bottom of a terminal (a progress bar), and permanent lines printed above
// it. Everything a command prints to the terminal while the line is live goes through log(), which
// erases the line first and draws it again below: a bar never overwrites what follows it. Without a
// terminal the live line is not drawn at all; log() lines are printed as they come.

/** What a status line writes to: process.stderr, or a fake terminal in tests. */
export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Erase from the cursor to the end of the line (ANSI EL). */
const ERASE = '\x1b[K';

export class StatusLine {
  private shown = '';
  private lastDraw = -Infinity;

  /** `now`: milliseconds (default performance.now); `intervalMs`: the fastest redraw rate (default 100 ms). */
  constructor(
    readonly stream: OutStream = process.stderr,
    private readonly o: { now?: () => number; intervalMs?: number } = {},
  ) {}

  /** Whether the stream is a terminal (the live line is drawn only there). */
  get tty(): boolean {
    return this.stream.isTTY === true;
  }

  now(): number {
    return this.o.now ? this.o.now() : performance.now();
  }

  /** Shows `text` as the live line, at most every intervalMs unless `force` (a terminal only). */
  update(text: string, force = false): void {
    if (!this.tty) return;
    const t = this.now();
    if (!force && t - this.lastDraw < (this.o.intervalMs ?? 100)) return;
    this.lastDraw = t;
    this.draw(text);
  }

  private draw(text: string): void {
    // One row only: a line wider than the terminal would wrap, and \r would return to its second row.
    const width = Math.max(10, (this.stream.columns ?? 80) - 1);
    const s = text.length > width ? text.slice(0, width) : text;
    this.stream.write(`\r${s}${ERASE}`);
    this.shown = s;
  }

  /** Prints a permanent line (with its newline); the live line is erased and drawn again below it. */
  log(line: string): void {
    if (this.shown) this.stream.write(`\r${ERASE}`);
    this.stream.write(`${line}\n`);
    if (this.shown) this.draw(this.shown);
  }

  /** Erases the live line: call before anything else writes to the terminal. */
  clear(): void {
    if (!this.shown) return;
    this.stream.write(`\r${ERASE}`);
    this.shown = '';
  }

  /** Leaves the live line on screen as a permanent line and ends it. */
  done(): void {
    if (!this.shown) return;
    this.stream.write('\n');
    this.shown = '';
  }
}

/** A text bar of `width` cells for a fraction in [0, 1]. */
export function bar(fraction: number, width = 20): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return '\u2588'.repeat(full) + '\u2591'.repeat(width - full);
}

/** Seconds as 4.2s, 42s, 5m07s or 1h02m. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  if (seconds < 9.95) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

// A terminal for tests: it interprets what a program writes (\r, \n, ESC[K, plain text) into the rows
// a user would see, so a test can check the screen instead of the bytes.
export class FakeTerminal {
  isTTY = true;
  columns = 120;
  private rows: string[] = [''];
  private row = 0;
  private col = 0;

  write(chunk: string): boolean {
    for (let i = 0; i < chunk.length; i++) {
      if (chunk.startsWith('\x1b[K', i)) {
        this.rows[this.row] = this.rows[this.row]!.slice(0, this.col);
        i += 2;
      } else if (chunk[i] === '\r') {
        this.col = 0;
      } else if (chunk[i] === '\n') {
        this.row++;
        this.rows[this.row] ??= '';
        this.col = 0;
      } else {
        const line = this.rows[this.row]!.padEnd(this.col);
        this.rows[this.row] = line.slice(0, this.col) + chunk[i] + line.slice(this.col + 1);
        this.col++;
      }
    }
    return true;
  }

  /** The rows on screen, the cursor's (possibly empty) last row included. */
  screen(): string[] {
    return [...this.rows];
  }
}

/** A stream that is not a terminal: the lines written to it. */
export class FakeLog {
  isTTY = false;
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  lines(): string[] {
    return this.text.split('\n').filter((l) => l !== '');
  }
}

/** A clock for tests, in milliseconds. */
export class FakeClock {
  t = 0;
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

// A parser with known faults, so the harness's own test can check that each is classified.
import { readFileSync } from 'node:fs';
import { FormatError } from '../../../src/formats/errors.js';

export function parseSelfTest(path: string): string {
  const text = readFileSync(path, 'utf8');
  if (text === 'loop') for (;;);
  if (text === 'typeerror') return (null as unknown as { x: string }).x;
  if (text === 'plain') throw new Error('something broke');
  if (text === 'unnamed') throw new FormatError('selftest', 'somewhere-else', 'bad');
  if (text === 'exit') process.exit(3);
  if (text !== 'good') throw new FormatError('selftest', path, `expected "good", found ${JSON.stringify(text.slice(0, 20))}`);
  return text;
}

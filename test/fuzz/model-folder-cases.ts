// Fuzz cases that are Hugging Face model folders: one file of the seed folder mutated per case, the
// others shared with the seed (linked, so that hundreds of cases cost no copies).
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../formats/helpers.js';
import { writeCase, type FuzzCase } from './harness.js';
import { writeHFSeed } from './seeds.js';

/** A fresh folder holding the HF seed model in `seed/`, and the bytes of the seed's `file`. */
export function hfSeed(file: string): { dir: string; seedDir: string; bytes: Buffer } {
  const dir = tempDir();
  const seedDir = join(dir, 'seed');
  writeHFSeed(seedDir);
  return { dir, seedDir, bytes: readFileSync(join(seedDir, file)) };
}

/** Cases `dir/caseN/`, each with its own `file` and the seed's `shared` files linked beside it. */
export class ModelFolderCases {
  readonly cases: { name: string; path: string }[] = [];

  constructor(
    private readonly seed: { dir: string; seedDir: string },
    private readonly file: string,
    private readonly shared: readonly string[],
  ) {}

  add(c: FuzzCase): void {
    const folder = join(this.seed.dir, `case${this.cases.length}`);
    mkdirSync(folder);
    for (const name of this.shared) symlinkSync(join(this.seed.seedDir, name), join(folder, name));
    writeCase(folder, this.file, c);
    this.cases.push({ name: c.name, path: folder });
  }
}

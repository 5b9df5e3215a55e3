// The files in which global stages keep their state between index, combine and filter (which may
// run in different processes or on different machines). One container format for every binary
// file: a small JSON header that names and sizes typed-array sections, then the sections. Every
// file is published atomically (temp + rename), and readers bound every offset by the file's
// real size, failing with the file's name.
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BufferedWriter, writeFileAtomic, writeJsonAtomic } from '../../formats/atomic.js';

export class StateFileError extends Error {}

const MAGIC = 0x54444959; // 'YIDT' little-endian
const VERSION = 1;

const ARRAYS = {
  u8: Uint8Array,
  u32: Uint32Array,
  i32: Int32Array,
  f32: Float32Array,
  f64: Float64Array,
} as const;
export type SectionType = keyof typeof ARRAYS;
export type Typed = Uint8Array | Uint32Array | Int32Array | Float32Array | Float64Array;

function typeOf(a: Typed): SectionType {
  if (a instanceof Uint8Array) return 'u8';
  if (a instanceof Uint32Array) return 'u32';
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Float32Array) return 'f32';
  return 'f64';
}

interface Header {
  kind: string;
  meta: Record<string, unknown>;
  sections: { name: string; type: SectionType; length: number }[];
}

const pad8 = (n: number): number => (n + 7) & ~7;

/** Writes `sections` (in order) with `meta` under a header of the given kind, atomically. */
export function writeTableFile(path: string, kind: string, meta: Record<string, unknown>, sections: Record<string, Typed>): void {
  const header: Header = {
    kind,
    meta,
    sections: Object.entries(sections).map(([name, a]) => ({ name, type: typeOf(a), length: a.length })),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  writeFileAtomic(path, (fd) => {
    const w = new BufferedWriter(fd);
    w.u32(MAGIC);
    w.u32(VERSION);
    w.u32(json.length);
    w.bytes(json);
    w.zeros(pad8(w.position) - w.position);
    for (const a of Object.values(sections)) {
      w.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      w.zeros(pad8(w.position) - w.position);
    }
    w.flush();
  });
}

export interface SectionPlace {
  type: SectionType;
  length: number;
  /** Byte offset of the section in the file. */
  offset: number;
}

export interface OpenTable {
  path: string;
  fd: number;
  meta: Record<string, unknown>;
  sections: Map<string, SectionPlace>;
  section(name: string): SectionPlace;
  close(): void;
}

function parseHeader(path: string, kind: string, head: Buffer, fileSize: number): { header: Header; dataStart: number } {
  const fail = (what: string): never => {
    throw new StateFileError(`${path}: ${what}`);
  };
  if (head.length < 12) fail(`too short for a state file (${fileSize} bytes)`);
  if (head.readUInt32LE(0) !== MAGIC) fail('not a yi-ts state file (bad magic)');
  if (head.readUInt32LE(4) !== VERSION) fail(`state file version ${head.readUInt32LE(4)}, expected ${VERSION}`);
  const jsonLen = head.readUInt32LE(8);
  if (12 + jsonLen > fileSize) fail(`header of ${jsonLen} bytes runs past the end of the file (${fileSize} bytes)`);
  if (12 + jsonLen > head.length) fail('header truncated');
  let header: Header;
  try {
    header = JSON.parse(head.subarray(12, 12 + jsonLen).toString('utf8')) as Header;
  } catch {
    return fail('header is not valid JSON');
  }
  if (header.kind !== kind) fail(`holds '${header.kind}', expected '${kind}'`);
  if (!Array.isArray(header.sections)) fail('header has no section list');
  return { header, dataStart: pad8(12 + jsonLen) };
}

function placeSections(path: string, header: Header, dataStart: number, fileSize: number): Map<string, SectionPlace> {
  const out = new Map<string, SectionPlace>();
  let at = dataStart;
  for (const s of header.sections) {
    const ctor = ARRAYS[s.type];
    if (!ctor || !Number.isSafeInteger(s.length) || s.length < 0) {
      throw new StateFileError(`${path}: section '${s.name}' has a bad type or length`);
    }
    const bytes = s.length * ctor.BYTES_PER_ELEMENT;
    if (at + bytes > fileSize) {
      throw new StateFileError(`${path}: section '${s.name}' (${bytes} bytes at ${at}) runs past the end of the file (${fileSize} bytes): truncated?`);
    }
    out.set(s.name, { type: s.type, length: s.length, offset: at });
    at = pad8(at + bytes);
  }
  return out;
}

/** Opens a state file for positional reads of its sections (files too large to load whole). */
export function openTableFile(path: string, kind: string): OpenTable {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new StateFileError(`${path}: cannot open (${(e as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    const first = Buffer.alloc(Math.min(size, 12));
    readSync(fd, first, 0, first.length, 0);
    const jsonLen = first.length >= 12 ? first.readUInt32LE(8) : 0;
    const head = Buffer.alloc(Math.min(size, 12 + jsonLen));
    readSync(fd, head, 0, head.length, 0);
    const { header, dataStart } = parseHeader(path, kind, head, size);
    const sections = placeSections(path, header, dataStart, size);
    return {
      path,
      fd,
      meta: header.meta ?? {},
      sections,
      section(name) {
        const s = sections.get(name);
        if (!s) throw new StateFileError(`${path}: no section '${name}'`);
        return s;
      },
      close: () => closeSync(fd),
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

export interface LoadedTable {
  meta: Record<string, unknown>;
  get<T extends Typed>(name: string, type: SectionType): T;
}

/** Loads a whole state file (bounded by its size) and hands out its sections as typed arrays. */
export function readTableFile(path: string, kind: string): LoadedTable {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new StateFileError(`${path}: cannot read (${(e as Error).message})`);
  }
  const { header, dataStart } = parseHeader(path, kind, buf, buf.length);
  const sections = placeSections(path, header, dataStart, buf.length);
  return {
    meta: header.meta ?? {},
    get<T extends Typed>(name: string, type: SectionType): T {
      const s = sections.get(name);
      if (!s) throw new StateFileError(`${path}: no section '${name}'`);
      if (s.type !== type) throw new StateFileError(`${path}: section '${name}' holds ${s.type}, expected ${type}`);
      const ctor = ARRAYS[type];
      // A copy: the file buffer may be a slice of a pooled allocation with an unaligned offset.
      const bytes = (buf.buffer as ArrayBuffer).slice(buf.byteOffset + s.offset, buf.byteOffset + s.offset + s.length * ctor.BYTES_PER_ELEMENT);
      return new ctor(bytes) as T;
    },
  };
}

/** Reads `count` elements of a u32 section starting at element `from` into `into`. */
export function readU32Range(t: OpenTable, s: SectionPlace, from: number, count: number, into: Uint32Array): void {
  const bytes = count * 4;
  const view = new Uint8Array(into.buffer, into.byteOffset, bytes);
  let done = 0;
  while (done < bytes) {
    const n = readSync(t.fd, view, done, bytes - done, s.offset + from * 4 + done);
    if (n <= 0) throw new StateFileError(`${t.path}: unexpected end of file`);
    done += n;
  }
}

/** JSON state files of the dedup stages: indent 1, atomic. */
export function writeJsonState(path: string, value: unknown): void {
  writeJsonAtomic(path, value, 1);
}

export function readJsonFile<T>(path: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new StateFileError(`${path}: cannot read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new StateFileError(`${path}: not valid JSON (truncated or overwritten?)`);
  }
}

/** The path prefix of one task's files, e.g. `dir/t00003`. */
export function taskPath(dir: string, task: number, suffix: string): string {
  return join(dir, `t${String(task).padStart(5, '0')}${suffix}`);
}

/** What index writes last for a task: its presence means the task's index is complete. */
export interface TaskManifest {
  task: number;
  docs: number;
  /** The options that shaped the index; combine refuses a mix. */
  fingerprint: string;
  [extra: string]: unknown;
}

export function writeManifest(dir: string, m: TaskManifest): void {
  writeJsonState(taskPath(dir, m.task, '.json'), m);
}

/** Every task's manifest, checking that all tasks were indexed with the same options. */
export function readManifests(stage: string, dir: string, tasks: number, fingerprint: string): TaskManifest[] {
  const out: TaskManifest[] = [];
  for (let t = 0; t < tasks; t++) {
    const p = taskPath(dir, t, '.json');
    if (!existsSync(p)) throw new StateFileError(`${stage}: task ${t} of ${tasks} has not been indexed (${p} is missing): run index for every task before combine`);
    const m = readJsonFile<TaskManifest>(p);
    if (m.task !== t || !Number.isSafeInteger(m.docs)) throw new StateFileError(`${p}: not the manifest of task ${t}`);
    if (m.fingerprint !== fingerprint) {
      throw new StateFileError(`${stage}: task ${t} was indexed with other options (${m.fingerprint}) than this stage has (${fingerprint}): clear ${dir} and rerun`);
    }
    out.push(m);
  }
  return out;
}

/** What combine writes last; filter checks it so that it never runs on a half-combined state. */
export function writeCombined(dir: string, tasks: number, fingerprint: string, summary: Record<string, unknown>): void {
  writeJsonState(join(dir, 'combined.json'), { tasks, fingerprint, ...summary });
}

export function readCombined(stage: string, dir: string, tasks: number, fingerprint: string): Record<string, unknown> {
  const p = join(dir, 'combined.json');
  if (!existsSync(p)) throw new StateFileError(`${stage}: ${p} is missing: combine has not run (or did not finish)`);
  const c = readJsonFile<Record<string, unknown>>(p);
  if (c.tasks !== tasks) throw new StateFileError(`${stage}: ${p} was combined over ${String(c.tasks)} tasks, this run has ${tasks}`);
  if (c.fingerprint !== fingerprint) throw new StateFileError(`${stage}: ${p} was made with other options (${String(c.fingerprint)}): clear ${dir} and rerun`);
  return c;
}

/** Removes what an earlier (perhaps killed) index call of this task left: its manifest first. */
export function clearTaskFiles(dir: string, task: number): void {
  const base = `t${String(task).padStart(5, '0')}`;
  const manifest = join(dir, base + '.json');
  if (existsSync(manifest)) unlinkSync(manifest);
  for (const name of readdirSync(dir)) {
    // Its files (tNNNNN.x, tNNNNN-x) and the temp files a killed write left (.tNNNNN.x.tmp-...).
    const own = name.startsWith('.') ? name.slice(1) : name;
    if (own.startsWith(base) && (own[base.length] === '.' || own[base.length] === '-')) unlinkSync(join(dir, name));
  }
}

/**
 * A file written piece by piece (e.g. while documents stream in) and published atomically:
 * a temp file next to the target, fsynced and renamed over it by `publish`; `abort` removes it.
 */
export class AtomicFileWriter {
  private readonly tmp: string;
  private readonly fd: number;
  private readonly w: BufferedWriter;
  private open = true;

  constructor(private readonly path: string) {
    this.tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
    this.fd = openSync(this.tmp, 'wx', 0o644);
    this.w = new BufferedWriter(this.fd);
  }

  get position(): number {
    return this.w.position;
  }

  write(bytes: Uint8Array): void {
    this.w.bytes(bytes);
  }

  publish(): void {
    this.w.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.open = false;
    renameSync(this.tmp, this.path);
  }

  abort(): void {
    if (!this.open) return;
    closeSync(this.fd);
    this.open = false;
    rmSync(this.tmp, { force: true });
  }
}

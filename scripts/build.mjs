// Builds the WebAssembly kernels (AssemblyScript -> SIMD128 wasm) and the TypeScript sources.
// Everything comes from node_modules: nothing is downloaded here.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const ascBin = join(dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');
const tscBin = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');

function run(args, what) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${what} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

// Flags measured in ENGINE-NOTES.md: one shared imported memory per arena, no GC runtime,
// no exported memory (the runtime owns memories and passes them in).
const common = [
  '--enable', 'simd', '--enable', 'threads',
  '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
  '--runtime', 'stub', '--noExportMemory', '--noAssert', '-O3', '--use', 'abort=',
];
mkdirSync(join(root, 'build'), { recursive: true });
const builds = [
  { out: 'kernels.wasm', extra: [] },
  // Relaxed SIMD (FMA, int8 dot): a separate module, chosen at run time when the engine supports it.
  { out: 'kernels-relaxed.wasm', extra: ['--enable', 'relaxed-simd'] },
];
for (const b of builds) {
  const tmp = join(root, 'build', b.out + '.tmp');
  run([ascBin, 'src/kernels/index.ts', '-o', tmp, ...common, ...b.extra], `asc ${b.out}`);
  statSync(tmp);
  renameSync(tmp, join(root, 'build', b.out));
}
// A clean output: files of deleted sources (tests above all) must not linger in dist/.
rmSync(join(root, 'dist'), { recursive: true, force: true });
run([tscBin, '-p', 'tsconfig.json'], 'tsc');
// The `yi` bin must be executable: npm sets the bit when it links a bin, but a rebuild replaces the
// file, and a link npx made earlier then points at one without it ("yi: Permission denied").
chmodSync(join(root, 'dist', 'src', 'cli', 'yi.js'), 0o755);

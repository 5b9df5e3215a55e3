// Builds the WebAssembly kernels (AssemblyScript -> SIMD128 wasm) and the TypeScript sources.
// Everything comes from node_modules: nothing is downloaded here. A step whose inputs are
// unchanged since its last build is skipped (`--force` rebuilds), and dist/ is updated file by
// file, never deleted: see build-lib.mjs for why. `--check` only says whether a build is due
// (exit 0: up to date, 3: not).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inputsDigest, isUpToDate, listInputs, makeExecutable, syncTree, writeStamp } from './build-lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const ascBin = join(dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');
const tscBin = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
const force = process.argv.includes('--force');
const check = process.argv.includes('--check');
let due = false;
const STAMP = '.build-inputs';
// The bin `npx yi` and `npm link` run directly: it must stay executable whatever rewrote it.
const BIN = join(root, 'dist', 'src', 'cli', 'yi.js');
// What every step depends on besides its sources: the build itself and the compiler versions.
const common = ['package.json', 'package-lock.json', 'scripts/build.mjs', 'scripts/build-lib.mjs'];

function run(args, what) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${what} failed (exit ${r.status})`);
    return false;
  }
  return true;
}

/** Runs `build` unless the stamp in `outDir` says these inputs were built and `outputs` all exist. */
function step(name, inputs, outDir, outputs, build) {
  const digest = inputsDigest(root, [...inputs, ...common.filter((f) => existsSync(join(root, f)))]);
  const stamp = join(outDir, STAMP);
  if (!force && isUpToDate(stamp, digest) && outputs.every((f) => existsSync(f))) {
    console.log(`build: ${name} up to date`);
    return;
  }
  if (check) {
    console.log(`build: ${name} needs a build`);
    due = true;
    return;
  }
  // No stamp while the outputs change: an interrupted build is redone next time.
  rmSync(stamp, { force: true });
  const t0 = performance.now();
  console.log(`build: compiling ${name}...`);
  if (!build()) process.exit(1);
  writeStamp(stamp, digest);
  console.log(`build: ${name} done in ${((performance.now() - t0) / 1e3).toFixed(0)} s`);
}

// Flags measured in ENGINE-NOTES.md: one shared imported memory per arena, no GC runtime,
// no exported memory (the runtime owns memories and passes them in).
const ascFlags = [
  '--enable', 'simd', '--enable', 'threads',
  '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
  '--runtime', 'stub', '--noExportMemory', '--noAssert', '-O3', '--use', 'abort=',
];
const kernels = [
  { out: 'kernels.wasm', extra: [] },
  // Relaxed SIMD (FMA, int8 dot): a separate module, chosen at run time when the engine supports it.
  { out: 'kernels-relaxed.wasm', extra: ['--enable', 'relaxed-simd'] },
];
const buildDir = join(root, 'build');
step('the kernels (AssemblyScript -> build/*.wasm)', listInputs(root, ['src/kernels'], ['.ts']), buildDir, kernels.map((k) => join(buildDir, k.out)), () => {
  mkdirSync(buildDir, { recursive: true });
  for (const k of kernels) {
    const tmp = join(buildDir, k.out + '.tmp');
    if (!run([ascBin, 'src/kernels/index.ts', '-o', tmp, ...ascFlags, ...k.extra], `asc ${k.out}`)) return false;
    statSync(tmp);
    renameSync(tmp, join(buildDir, k.out));
  }
  return true;
});

const tsInputs = listInputs(root, ['src', 'test', 'test-browser', 'bench'], ['.ts'], ['src/kernels']);
const dist = join(root, 'dist');
const tsOutputs = tsInputs.filter((f) => !f.endsWith('.d.ts')).map((f) => join(dist, f.replace(/\.ts$/, '.js')));
step('TypeScript (tsc -> dist/)', [...tsInputs, 'tsconfig.json'], dist, tsOutputs, () => {
  // A sibling of dist/, so that source map paths (relative to the output) come out the same.
  const tmp = join(root, `.dist-${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  const ok = run([tscBin, '-p', 'tsconfig.json', '--outDir', tmp], 'tsc');
  if (!ok) {
    rmSync(tmp, { recursive: true, force: true });
    return false;
  }
  const s = syncTree(tmp, dist, [STAMP]);
  console.log(`build: dist/ ${s.replaced} files written, ${s.unchanged} unchanged, ${s.removed} of deleted sources removed`);
  return true;
});
if (check) process.exit(due ? 3 : 0);
makeExecutable(BIN);

// `yi info`: what this machine and build offer (threads, kernel flavor).
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { loadKernelModule } from '../runtime/module.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('show the kernel module in use and the default thread count')
    .option('--json', 'print as JSON')
    .action((o: { json?: boolean }) => {
      const km = loadKernelModule();
      const info = {
        node: process.version,
        kernels: km.flavor,
        kernelCount: km.kernelNames.length,
        threads: process.env.YI_THREADS ? Number(process.env.YI_THREADS) : availableParallelism(),
      };
      if (o.json) console.log(JSON.stringify(info));
      else for (const [k, v] of Object.entries(info)) console.log(`${k.padEnd(12)} ${v}`);
    });
}

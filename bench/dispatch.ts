// Cost of one parallel dispatch of an empty kernel: what every threaded op pays on top of its work.
import { Runtime } from '../src/runtime/runtime.js';
import { timeIt, type Reporter } from './harness.js';

export async function benchDispatch(rep: Reporter, opts: { quick?: boolean; threads?: number[] } = {}): Promise<void> {
  const calls = opts.quick ? 2_000 : 20_000;
  const small: number[] = [];
  for (const threads of opts.threads ?? [1, 2]) {
    const rt = await Runtime.create({ threads });
    try {
      const arena = rt.arenas[0]!;
      const perCall = timeIt(
        () => {
          for (let i = 0; i < calls; i++) rt.parallel('empty', arena, [], threads, 1);
        },
        { warmup: 1, runs: 5, minSeconds: 0 },
      ) / calls;
      rep.add({
        bench: 'dispatch',
        case: 'empty parallel kernel',
        threads,
        value: perCall * 1e6,
        unit: 'us/call',
        note: threads > 1 ? 'back to back, workers spinning; target <= 10 us' : 'no workers woken',
      });
      // A small real job (sum of 256 KiB, cache-resident, a few microseconds): does splitting pay?
      const n = 1 << 16;
      const buf = rt.alloc(n * 4);
      const out = rt.alloc(64 * 64);
      const t = timeIt(() => {
        for (let i = 0; i < 200; i++) rt.parallel('read_sum', arena, [buf.offset, out.offset, 1024], n, 1024);
      }) / 200;
      small.push(t);
      rep.add({
        bench: 'dispatch',
        case: 'sum 256 KiB (cached)',
        threads,
        value: t * 1e6,
        unit: 'us/call',
        note: small.length > 1 ? `${(small[0]! / t).toFixed(2)}x vs 1 thread` : '',
      });
      if (threads > 1) {
        // After an idle gap the workers sleep in Atomics.wait: a dispatch then pays a futex wake.
        const samples: number[] = [];
        for (let i = 0; i < (opts.quick ? 20 : 200); i++) {
          const until = Date.now() + 2;
          while (Date.now() < until) await new Promise((r) => setTimeout(r, 1));
          const t0 = process.hrtime.bigint();
          rt.parallel('empty', arena, [], threads, 1);
          samples.push(Number(process.hrtime.bigint() - t0) / 1e3);
        }
        samples.sort((a, b) => a - b);
        rep.add({
          bench: 'dispatch',
          case: 'empty parallel kernel after idle',
          threads,
          value: samples[samples.length >> 1]!,
          unit: 'us/call',
          note: 'workers asleep in Atomics.wait (median)',
        });
      }
    } finally {
      await rt.close();
    }
  }
}

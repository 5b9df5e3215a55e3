// test:reference check of `yi eval perplexity` against llama.cpp's llama-perplexity (not part of npm test):
//   node dist/test/reference/perplexity-llamacpp.js LLAMA_PERPLEXITY MODEL.gguf TEXT CTX [CHUNKS]
// Runs both on the same GGUF and text with the same context (llama-perplexity's default chunked
// method), and fails unless they cut the same number of chunks and their final perplexities agree
// within 0.5% (issue #13). Prints both estimates.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../paths.js';

const [llama, model, text, ctx, chunks] = process.argv.slice(2);
// npm test's directory walk imports this file too: without arguments it does nothing.
if (llama === undefined) process.exit(0);
if (!model || !text || !ctx) {
  console.error('usage: perplexity-llamacpp.js LLAMA_PERPLEXITY MODEL.gguf TEXT CTX [CHUNKS]');
  process.exit(2);
}
const threads = process.env.YI_THREADS ?? '2';
const more = chunks ? ['--chunks', chunks] : [];

const ours = spawnSync(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'yi.js'), 'eval', 'perplexity', '-m', model, '-f', text, '--ctx', ctx, '-t', threads, '--json', ...more], { encoding: 'utf8' });
assert.equal(ours.status, 0, ours.stderr);
const yi = JSON.parse(ours.stdout) as { ppl: number; error: number; windows: number; tokens: number };

// A batch of one chunk (n_seq = 1); a passive OpenMP wait keeps it from spinning on a shared machine.
const theirs = spawnSync(llama, ['-m', model, '-f', text, '-c', ctx, '-b', ctx, '-t', threads, ...more], { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'passive' } });
const log = `${theirs.stdout}\n${theirs.stderr}`;
assert.equal(theirs.status, 0, log);
const final = /Final estimate: PPL = ([\d.]+) \+\/- ([\d.]+)/.exec(log);
const over = /calculating perplexity over (\d+) chunks/.exec(log);
assert.ok(final && over, `no final estimate in llama-perplexity's output:\n${log}`);
const ref = Number(final[1]);
const diff = (yi.ppl / ref - 1) * 100;
console.log(`${model}: yi ${yi.ppl.toFixed(4)} +/- ${yi.error.toFixed(5)}, llama-perplexity ${ref.toFixed(4)} +/- ${final[2]} (${yi.windows} chunks of ${ctx}, ${yi.tokens} tokens): ${diff >= 0 ? '+' : ''}${diff.toFixed(4)}%`);
assert.equal(yi.windows, Number(over[1]), 'the same number of chunks (the same token count)');
assert.ok(Math.abs(diff) < 0.5, `yi's perplexity differs from llama-perplexity's by ${diff.toFixed(3)}% (limit 0.5%)`);

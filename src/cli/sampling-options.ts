// Sampling flags shared by `yi generate` and `yi chat`.
import type { Command } from 'commander';
import type { GenerateOptions } from '../model/generate.js';
import { intOption, numberOption } from './model-options.js';

export interface SamplingCliOptions {
  temperature?: string;
  topK?: string;
  topP?: string;
  minP?: string;
  repeatPenalty?: string;
  seed?: string;
  maxTokens?: string;
  stop?: string[];
}

export function addSamplingOptions(cmd: Command): Command {
  return cmd
    .option('--temperature <t>', '0 = greedy', '0.8')
    .option('--top-k <k>', 'keep the k most likely tokens (0 = all)', '40')
    .option('--top-p <p>', 'nucleus sampling threshold', '0.95')
    .option('--min-p <p>', 'drop tokens below p x the most likely', '0.05')
    .option('--repeat-penalty <r>', 'penalty for tokens already in the context (1 = off)', '1')
    .option('--seed <n>', 'random seed (same seed, same text)')
    .option('-n, --max-tokens <n>', 'most tokens to generate', '256')
    .option('--stop <text...>', 'strings that end the answer');
}

export function samplingFromCli(o: SamplingCliOptions): GenerateOptions {
  return {
    temperature: numberOption('temperature', o.temperature, 0, 100),
    topK: intOption('top-k', o.topK, 0),
    topP: numberOption('top-p', o.topP, 0, 1),
    minP: numberOption('min-p', o.minP, 0, 1),
    repetitionPenalty: numberOption('repeat-penalty', o.repeatPenalty, 0.01, 100),
    seed: intOption('seed', o.seed, 0),
    maxTokens: intOption('max-tokens', o.maxTokens, 0),
    stop: o.stop,
  };
}

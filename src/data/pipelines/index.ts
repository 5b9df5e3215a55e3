// Pipelines that ship with the library, by the name `yi data run NAME` accepts.
import type { PipelineSpec } from '../pipeline/spec.js';
import { DEFAULT_PIPELINE } from './default.js';

export { DEFAULT_PIPELINE };

export const BUILTIN_PIPELINES: Readonly<Record<string, PipelineSpec>> = { default: DEFAULT_PIPELINE };

// Per-topic sampling weights for the output mix (Yi down-samples ads and balances topics): a
// document of topic t (metadata[field], e.g. the cluster number cluster_filter attaches) is kept
// with probability weights[t] when that is below 1; a weight w >= 1 keeps it and asks for
// floor(w) copies, plus one more with probability w - floor(w). The draw is a hash of (seed, id),
// so a document's fate is the same on every rerun, worker and rank.
//
// A stage returns one document, so the copies are asked for, not made: a kept document with more
// than one copy carries metadata.copies = n, and the writer turns it into n documents with
// `expandCopies` (ids `id`, `id#2` ... `id#n`). Stats: counts `topic_<t>` = copies written.
import type { Doc, DocStage, StageResult } from '../types.js';
import { sha1Hash64 } from '../dedup/doc-ids.js';
import { resolveOptions } from '../options/resolve.js';
import { integer, number, record, stageName, string, type OptionSchema } from '../options/schema.js';

export interface TopicMixOptions {
  name: string;
  /** Metadata key holding the topic. */
  field: string;
  /** Weight per topic (the metadata value as a string; 'none' for documents without one). */
  weights: Record<string, number>;
  /** Weight of topics not in `weights`. */
  defaultWeight: number;
  seed: number;
}

export const TOPIC_MIX_DEFAULTS: TopicMixOptions = {
  name: 'topic_mix',
  field: 'cluster',
  weights: {},
  defaultWeight: 1,
  seed: 1,
};

const TYPE = 'topic_mix';
const MAX_WEIGHT = 1000;

const weight = number(0, MAX_WEIGHT);

export const TOPIC_MIX_SCHEMA: OptionSchema<TopicMixOptions> = {
  name: stageName,
  field: string({ nonEmpty: true }),
  weights: record(weight, undefined, 'an object of topics to weights from 0 to 1000'),
  defaultWeight: weight,
  seed: integer(0, 0xffffffff),
};

export function topicMix(options?: Partial<TopicMixOptions>): DocStage {
  const o = resolveOptions(TYPE, TOPIC_MIX_DEFAULTS, TOPIC_MIX_SCHEMA, options);
  const h = new Uint32Array(2);
  return {
    name: o.name,
    kind: 'cluster',
    process(doc: Doc): StageResult {
      const v = doc.metadata[o.field];
      const topic = v === undefined || v === null ? 'none' : String(v);
      const w = o.weights[topic] ?? o.defaultWeight;
      sha1Hash64(`${o.seed}\u0000${doc.id}`, h);
      const u = h[0]! / 4294967296 + h[1]! / 18446744073709551616;
      const whole = Math.floor(w);
      const copies = whole + (u < w - whole ? 1 : 0);
      const key = `topic_${topic}`;
      if (copies === 0) return { keep: false, reason: 'topic_downsampled', counts: { [key]: 0 } };
      if (copies === 1) return { keep: true, doc, counts: { [key]: 1 } };
      return { keep: true, doc: { ...doc, metadata: { ...doc.metadata, copies } }, counts: { [key]: copies } };
    },
  };
}

/** The documents a kept document stands for: itself, and with metadata.copies = n, n - 1 more with ids `id#2` .. `id#n`. */
export function expandCopies(doc: Doc): Doc[] {
  const n = doc.metadata.copies;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 1) return [doc];
  const { copies: _copies, ...metadata } = doc.metadata;
  const out: Doc[] = [{ ...doc, metadata }];
  for (let i = 2; i <= n; i++) out.push({ id: `${doc.id}#${i}`, text: doc.text, metadata: { ...metadata, copy_of: doc.id } });
  return out;
}

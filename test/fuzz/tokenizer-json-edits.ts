// JSON-level mutations of tokenizer.json and tokenizer_config.json for the fuzzer: a random node given
// a value of another type, deleted, or surrounded by nulls; plus edits that know the formats (duplicate
// and huge ids, gaps, malformed merges, Sequences nested thousands deep, thousands of added tokens).
// Values too deep for JSON.stringify are spliced into the text through placeholders.
import type { FuzzCase } from './harness.js';
import { seeded } from './harness.js';

type Rand = (n: number) => number;
// The documents are arbitrary JSON being vandalized: typing them more precisely would only add casts.
type Doc = any;

/** Placeholders in a document, replaced by raw JSON text after serialization. */
class Splices {
  readonly texts: string[] = [];
  add(text: string): string {
    this.texts.push(text);
    return `@@SPLICE${this.texts.length - 1}@@`;
  }
  apply(json: string): string {
    return json.replace(/"@@SPLICE(\d+)@@"/g, (_, i: string) => this.texts[Number(i)]!);
  }
}

export type JsonEdit = (doc: Doc, r: Rand, s: Splices) => string | undefined;

function pick<T>(r: Rand, xs: readonly T[]): T {
  return xs[r(xs.length)]!;
}

const SPACE = '\u2581';

/** Values of every JSON type, including the ones parsers trip on. */
function oddValue(r: Rand, s: Splices): unknown {
  const values: unknown[] = [null, true, false, 0, -1, 0.5, 2 ** 31, 2 ** 32 + 1, 2 ** 53, 1e300, -1e300, '', 'yes', '<unk>', SPACE, '\ud800', 'x'.repeat(10000), [], [null], {}, { type: 'Sequence' }];
  const k = r(values.length + 2);
  if (k === values.length) return s.add('['.repeat(3000) + ']'.repeat(3000));
  if (k === values.length + 1) return s.add('{"a":'.repeat(3000) + '1' + '}'.repeat(3000));
  return values[k];
}

/** A random walk from the root to some node: the container holding it and its key. */
function randomNode(doc: Doc, r: Rand): { parent: Doc; key: string | number } | undefined {
  let parent: Doc;
  let key: string | number | undefined;
  let node = doc;
  for (let depth = 0; depth < 12; depth++) {
    const keys: Array<string | number> = Array.isArray(node) ? node.map((_: unknown, i: number) => i) : node && typeof node === 'object' ? Object.keys(node) : [];
    if (keys.length === 0 || (depth > 0 && r(3) === 0)) break;
    parent = node;
    key = pick(r, keys);
    node = node[key];
  }
  return key === undefined ? undefined : { parent, key };
}

/** Edits that know nothing of the format. */
export const GENERIC_EDITS: JsonEdit[] = [
  (doc, r, s) => {
    const n = randomNode(doc, r);
    if (!n) return undefined;
    const v = oddValue(r, s);
    n.parent[n.key] = v;
    return `${String(n.key)} = ${typeof v === 'string' ? JSON.stringify(v.slice(0, 20)) : JSON.stringify(v)?.slice(0, 20)}`;
  },
  (doc, r) => {
    const n = randomNode(doc, r);
    if (!n) return undefined;
    if (Array.isArray(n.parent)) n.parent.splice(n.key as number, 1);
    else delete n.parent[n.key];
    return `delete ${String(n.key)}`;
  },
  (doc, r) => {
    const n = randomNode(doc, r);
    if (!n || !Array.isArray(n.parent)) return undefined;
    const v = pick(r, [null, n.parent[n.key as number], 0, 'x', []]);
    n.parent.splice(n.key as number, 0, v);
    return `insert ${JSON.stringify(v)?.slice(0, 20)} before [${String(n.key)}]`;
  },
  (doc, r) => {
    const n = randomNode(doc, r);
    if (!n || typeof n.parent[n.key] !== 'number') return undefined;
    const v = pick(r, [-1, 2 ** 31, 2 ** 53 + 2, 1e300, 0.25, -0]);
    n.parent[n.key] = v;
    return `number ${String(n.key)} = ${v}`;
  },
];

const keysOf = (o: Doc): string[] => (o && typeof o === 'object' && !Array.isArray(o) ? Object.keys(o) : []);

function deepSequence(s: Splices, listKey: string, depth: number, leaf: string): string {
  return s.add(`{"type":"Sequence","${listKey}":[`.repeat(depth) + leaf + ']}'.repeat(depth));
}

/** Edits of a tokenizer.json. */
export const TOKENIZER_JSON_EDITS: JsonEdit[] = [
  (doc, r) => {
    const v = doc.model?.vocab;
    const ks = keysOf(v);
    if (ks.length < 2) return undefined;
    const [a, b] = [pick(r, ks), pick(r, ks)];
    v[a] = v[b];
    return `vocab ${JSON.stringify(a)} takes the id of ${JSON.stringify(b)}`;
  },
  (doc, r) => {
    const v = doc.model?.vocab;
    const ks = keysOf(v);
    if (ks.length === 0) return undefined;
    const k = pick(r, ks);
    v[k] = pick(r, [-1, 0.5, 2 ** 31, 2 ** 32, 1e9, 1e300, '5', null, ks.length, ks.length + 1]);
    return `vocab ${JSON.stringify(k)} = ${JSON.stringify(v[k])}`;
  },
  (doc, r) => {
    const v = doc.model?.vocab;
    const ks = keysOf(v);
    if (ks.length === 0) return undefined;
    const k = pick(r, ks);
    delete v[k];
    return `vocab ${JSON.stringify(k)} removed`;
  },
  (doc, r) => {
    const v = doc.model?.vocab;
    if (!v || typeof v !== 'object') return undefined;
    const k = pick(r, ['', ' ', '<0x41>', '<0xZZ>', '__proto__', 'constructor', 'a b', '\ud800']);
    v[k] = keysOf(v).length;
    return `vocab gains ${JSON.stringify(k)}`;
  },
  (doc, r, s) => {
    if (!Array.isArray(doc.added_tokens)) doc.added_tokens = [];
    const n = keysOf(doc.model?.vocab).length;
    const t = pick(r, [null, 5, 'x', { id: n, content: '<x>', special: 'yes' }, { id: -1, content: '<x>' }, { id: n, content: 5 }, { id: 0, content: '<other>' }, { id: n, content: keysOf(doc.model?.vocab)[0] ?? 'a' }, { id: 2 ** 40, content: '<x>' }, { id: n + 5, content: '<x>' }, { id: n, content: '' }, oddValue(r, s)]);
    doc.added_tokens.splice(r(doc.added_tokens.length + 1), 0, t);
    return `added_tokens gets ${JSON.stringify(t)?.slice(0, 40)}`;
  },
  (doc, r) => {
    const n = keysOf(doc.model?.vocab).length;
    const k = pick(r, [100, 2000, 20000]);
    const list = Array.isArray(doc.added_tokens) ? doc.added_tokens : (doc.added_tokens = []);
    for (let i = 0; i < k; i++) list.push({ id: n + i, content: `<|added_${i}|>`, special: i % 3 === 0, normalized: false });
    return `${k} added tokens`;
  },
  (doc) => {
    doc.added_tokens = Object.fromEntries((doc.added_tokens ?? []).map((t: unknown, i: number) => [String(i), t]));
    return 'added_tokens as an object';
  },
  (doc, r) => {
    const m = doc.model?.merges;
    if (!Array.isArray(m)) return undefined;
    const v = pick(r, [null, 5, 'a', 'a b c', '', ' ', ['a'], [1, 2], ['a', 'b', 'c'], 'zz qq', ['\u2581', 'x'], [' ', 'x'], m[0]]);
    m.splice(r(m.length + 1), 0, v);
    return `merges gets ${JSON.stringify(v)}`;
  },
  (doc, r) => {
    const m = doc.model?.merges;
    if (!Array.isArray(m) || m.length === 0) return undefined;
    if (r(2) === 0) m.reverse();
    else for (let i = 0; i < 3000; i++) m.push(m[i % m.length]);
    return 'merges reordered or repeated';
  },
  (doc, r) => {
    if (!Array.isArray(doc.model?.merges)) return undefined;
    doc.model.merges = doc.model.merges.map((x: unknown) => (typeof x === 'string' ? x.split(' ') : x));
    if (r(2) === 0) doc.model.merges.push(['a b', 'c']);
    return 'merges as pairs';
  },
  (doc, r) => {
    if (!doc.model || typeof doc.model !== 'object') return undefined;
    const [field, v] = pick(r, [
      ['byte_fallback', pick(r, ['yes', 1, null, true, false, []])],
      ['unk_token', pick(r, [null, 5, '<nope>', '', 'a', '<s>'])],
      ['type', pick(r, ['WordPiece', 'Unigram', 5, null, 'BPE'])],
      ['fuse_unk', pick(r, [false, 'no'])],
      ['dropout', pick(r, [0.5, 'x'])],
    ] as const);
    doc.model[field] = v;
    return `model.${field} = ${JSON.stringify(v)}`;
  },
  (doc, r, s) => {
    const [field, key] = pick(r, [['normalizer', 'normalizers'], ['pre_tokenizer', 'pretokenizers'], ['decoder', 'decoders'], ['post_processor', 'processors']] as const);
    const depth = pick(r, [2, 63, 64, 65, 5000, 100000]);
    const leaf = pick(r, [`{"type":"Prepend","prepend":"${SPACE}"}`, '{"type":"Metaspace"}', 'null', '{"type":"Fuse"}', '{}']);
    doc[field] = deepSequence(s, key, depth, leaf);
    return `${field} is a Sequence nested ${depth} deep around ${leaf}`;
  },
  (doc, r) => {
    const items = [{ type: 'Prepend', prepend: SPACE }, { type: 'Replace', pattern: { String: ' ' }, content: SPACE }, null, { type: 'Prepend', prepend: 'x' }, { type: 'Replace', pattern: { Regex: ' ' }, content: SPACE }, { type: 'NFKC' }, { type: 5 }, { prepend: SPACE }, { type: 'Replace', pattern: null }];
    const list = Array.from({ length: 1 + r(3) }, () => pick(r, items));
    doc.normalizer = r(2) === 0 && list.length === 1 ? list[0] : { type: 'Sequence', normalizers: list };
    return `normalizer ${JSON.stringify(doc.normalizer).slice(0, 60)}`;
  },
  (doc, r) => {
    const m: Record<string, unknown> = { type: pick(r, ['Metaspace', 'Metaspace', 'ByteLevel', 5]) };
    if (r(2)) m.replacement = pick(r, [SPACE, 'x', 5, null, '']);
    if (r(2)) m.prepend_scheme = pick(r, ['first', 'never', 'always', 'sometimes', 5, null]);
    if (r(2)) m.add_prefix_space = pick(r, [true, false, 'yes']);
    if (r(2)) m.split = pick(r, [true, false, 'yes', null]);
    doc.pre_tokenizer = r(3) === 0 ? { type: 'Sequence', pretokenizers: [m, pick(r, [m, null, 5])] } : m;
    return `pre_tokenizer ${JSON.stringify(doc.pre_tokenizer).slice(0, 80)}`;
  },
  (doc, r) => {
    const items = [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>' } }, null, 5, { SpecialToken: { id: 5 } }, { SpecialToken: null }, { Sequence: 'A' }, {}, { SpecialToken: { id: '<nope>' } }];
    const single = r(4) === 0 ? pick(r, [null, 'x', 5, {}]) : Array.from({ length: r(4) }, () => pick(r, items));
    const proc = { type: pick(r, ['TemplateProcessing', 'TemplateProcessing', 'ByteLevel', 7]), single, pair: [], special_tokens: {} };
    doc.post_processor = r(3) === 0 ? { type: 'Sequence', processors: [proc, pick(r, [proc, null])] } : proc;
    return `post_processor ${JSON.stringify(doc.post_processor).slice(0, 80)}`;
  },
  (doc, r) => {
    const k = pick(r, ['model', 'vocab', 'merges', 'unk_token', 'added_tokens', 'normalizer']);
    if (k in doc) delete doc[k];
    else if (doc.model && typeof doc.model === 'object') delete doc.model[k];
    return `${k} removed`;
  },
  (doc, r) => {
    const v = doc.model?.vocab;
    const ks = keysOf(v);
    if (ks.length === 0) return undefined;
    // A long piece: encoding still has to work through it.
    const long = pick(r, ['ab', '\u2581a', '\u4e16']).repeat(pick(r, [100, 5000]));
    v[long] = ks.length;
    return `vocab gains a piece of ${long.length} code units`;
  },
];

/** Edits of a tokenizer_config.json that goes with a vocabulary of `vocabSize` pieces. */
export const tokenizerConfigEdits = (vocabSize: number): JsonEdit[] => [
  (doc, r, s) => {
    const d = (doc.added_tokens_decoder ??= {});
    const ks = keysOf(d);
    const k = ks.length > 0 && r(2) ? pick(r, ks) : String(pick(r, [0, 1, vocabSize - 1, vocabSize, 1200]));
    d[k] = pick(r, [null, 5, 'x', [], { content: 5 }, { content: '' }, { content: '<x>', special: 'yes' }, { special: true }, oddValue(r, s)]);
    return `added_tokens_decoder[${k}] = ${JSON.stringify(d[k])?.slice(0, 40)}`;
  },
  (doc, r) => {
    const d = (doc.added_tokens_decoder ??= {});
    const k = pick(r, ['abc', '-1', '1e3', '007', '1.5', '99999999999999999999', ' 3', '', '9007199254740993']);
    d[k] = { content: '<x>', special: true };
    return `added_tokens_decoder key ${JSON.stringify(k)}`;
  },
  (doc, r) => {
    const d = (doc.added_tokens_decoder ??= {});
    const ks = keysOf(d);
    const [a, b] = [pick(r, ks.length ? ks : ['0']), pick(r, ks.length ? ks : ['0'])];
    const content = pick(r, [d[b]?.content, '<unk>', 'a', '<|im_end|>', '<new>']);
    d[String(pick(r, [Number(a), vocabSize, vocabSize + 1, 100000, 2 ** 31]))] = { content, special: r(2) === 0 };
    return `added_tokens_decoder entry with content ${JSON.stringify(content)}`;
  },
  (doc, r) => {
    const d = (doc.added_tokens_decoder ??= {});
    const start = pick(r, [vocabSize, vocabSize, vocabSize - 5, vocabSize + 1]);
    const k = pick(r, [10, 500, 20000]);
    for (let i = 0; i < k; i++) d[String(start + i)] = { content: `<|extra_${i}|>`, special: i % 2 === 0 };
    return `${k} added tokens from id ${start}`;
  },
  (doc, r, s) => {
    const field = pick(r, ['add_bos_token', 'add_eos_token', 'bos_token', 'eos_token', 'pad_token', 'unk_token', 'additional_special_tokens', 'chat_template', 'model_max_length']);
    const v = pick(r, [null, 'yes', 1, true, [], [null], ['<x>', 5], [{ content: null }], { content: 5 }, {}, { content: '<|im_end|>' }, '<missing>', oddValue(r, s)]);
    doc[field] = v;
    return `${field} = ${JSON.stringify(v)?.slice(0, 40)}`;
  },
  (doc, r) => {
    const field = pick(r, ['added_tokens_decoder', 'bos_token', 'add_bos_token']);
    delete doc[field];
    return `${field} removed`;
  },
];

/** Whole-document replacements: the root itself of the wrong type. */
const ROOT_VALUES = ['[]', 'null', '5', '"x"', 'true', '[' + '['.repeat(10000) + ']'.repeat(10000) + ']'];

/**
 * `count` JSON-level mutations of `doc`: mostly one edit (format-aware `edits` or generic ones), sometimes
 * two, sometimes the whole document replaced by a value of another type.
 */
export function* jsonMutations(doc: unknown, seed: number, count: number, edits: JsonEdit[]): Generator<FuzzCase> {
  const r = seeded(seed);
  const text = JSON.stringify(doc);
  for (let made = 0, tries = 0; made < count && tries < count * 4; tries++) {
    if (r(40) === 0) {
      const v = pick(r, ROOT_VALUES);
      made++;
      yield { name: `json: the document is ${v.slice(0, 10)}`, bytes: Buffer.from(v) };
      continue;
    }
    const d = JSON.parse(text) as Doc;
    const s = new Splices();
    const names: string[] = [];
    for (let k = 0, n = r(4) === 0 ? 2 : 1; k < n; k++) {
      const pool = r(3) === 0 ? GENERIC_EDITS : edits;
      const name = pick(r, pool)(d, r, s);
      if (name !== undefined) names.push(name);
    }
    if (names.length === 0) continue;
    made++;
    yield { name: `json: ${names.join('; ')}`, bytes: Buffer.from(s.apply(JSON.stringify(d))) };
  }
}

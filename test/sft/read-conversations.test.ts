// Chat samples from files: both record forms from every container the data readers handle, and every
// kind of bad sample counted under its reason with its file:line (or refused with strict), never mangled.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { RejectCounter, SftDataError, type Conversation } from '../../src/sft/conversation.js';
import { readConversations } from '../../src/sft/read-conversations.js';
import { loadZstd } from '../../src/data/writers/zstd.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-sft-read-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const put = (name: string, data: string | Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};
const jsonl = (records: unknown[]): string => records.map((r) => JSON.stringify(r) + '\n').join('');

async function readAll(files: string[], opts: Parameters<typeof readConversations>[1] = {}): Promise<Conversation[]> {
  const out: Conversation[] = [];
  for await (const c of readConversations(files, opts)) out.push(c);
  return out;
}

const OPENAI = [
  { id: 'q1', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Capital of France?' }, { role: 'assistant', content: 'Paris.' }] },
  { messages: [{ role: 'user', content: '2+2?' }, { role: 'assistant', content: '4', weight: 0 }, { role: 'user', content: 'sure?' }, { role: 'assistant', content: 'Yes, 4.', weight: 1 }] },
];
const SHAREGPT = [
  { id: 7, system: 'Be brief.', conversations: [{ from: 'human', value: 'Capital of France?' }, { from: 'gpt', value: 'Paris.' }] },
  { conversations: [{ from: 'system', value: 's' }, { from: 'user', value: 'u' }, { from: 'assistant', value: 'a' }, { from: 'human', value: 'thanks' }] },
];

test('OpenAI messages and ShareGPT conversations, from plain, gzip and zstd JSONL', async () => {
  const zstd = await loadZstd();
  const text = jsonl([...OPENAI, ...SHAREGPT]);
  const files = [put('chat.jsonl', text), put('chat.jsonl.gz', gzipSync(text)), put('chat.jsonl.zst', zstd(new TextEncoder().encode(text), 3))];
  for (const f of files) {
    const name = f.slice(dir.length + 1);
    const convs = await readAll([f]);
    const where = (line: number): string => `${f}:${line}`;
    assert.deepEqual(convs, [
      { id: 'q1', where: where(1), messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Capital of France?' }, { role: 'assistant', content: 'Paris.' }] },
      {
        id: where(2),
        where: where(2),
        messages: [{ role: 'user', content: '2+2?' }, { role: 'assistant', content: '4', train: false }, { role: 'user', content: 'sure?' }, { role: 'assistant', content: 'Yes, 4.', train: true }],
      },
      { id: '7', where: where(3), messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Capital of France?' }, { role: 'assistant', content: 'Paris.' }] },
      // A conversation may end on a user turn (TRL trains on it as is; the turn is context nobody answers).
      { id: where(4), where: where(4), messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'u' }, { role: 'assistant', content: 'a' }, { role: 'user', content: 'thanks' }] },
    ], name);
  }
});

test('Parquet: a messages column of list<struct<role, content>>, as Hugging Face datasets store it', async () => {
  const schema = [
    { name: 'root', num_children: 2 },
    { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'messages', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'role', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'content', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  ] as const;
  const rows = [
    [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }],
    [{ role: 'user', content: null }, { role: 'assistant', content: 'x' }],
    [{ role: 'user', content: 'bye' }, { role: 'assistant', content: 'see you' }],
  ];
  const buf = parquetWriteBuffer({
    schema: schema as never,
    columnData: [
      { name: 'id', data: ['p0', null, null] },
      { name: 'messages', data: rows },
    ],
    rowGroupSize: 2,
  });
  const f = put('chat.parquet', new Uint8Array(buf));
  const rejects = new RejectCounter();
  const convs = await readAll([f], { rejects });
  assert.deepEqual(convs, [
    { id: 'p0', where: `${f}:row 0`, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] },
    { id: `${f}:row 2`, where: `${f}:row 2`, messages: [{ role: 'user', content: 'bye' }, { role: 'assistant', content: 'see you' }] },
  ]);
  assert.deepEqual(rejects.toJSON(), { records: 3, rejected: 1, reasons: { 'bad-shape': { count: 1, examples: [`${f}:row 1: messages[0].content: expected a string, got null`] } } });
  // A Parquet file without a conversation column says which columns it has.
  const other = put('text.parquet', new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'text', data: ['a'], type: 'STRING' }] })));
  await assert.rejects(readAll([other]), (e: unknown) => e instanceof SftDataError && e.reason === 'bad-shape' && /no 'messages' or 'conversations' column \(columns: text\)/.test(e.message));
});

// One line per kind of bad sample, the reason it must be counted under, and the field it names.
const BAD: [string, string, string | undefined][] = [
  ['{"messages": [{"role": "user", "content": "hi"}', 'invalid-json', undefined],
  ['[1, 2]', 'bad-shape', undefined],
  ['{"text": "a pretraining document"}', 'bad-shape', 'messages'],
  ['{"messages": [], "conversations": []}', 'bad-shape', 'conversations'],
  ['{"messages": "hi"}', 'bad-shape', 'messages'],
  ['{"messages": [["user", "hi"]]}', 'bad-shape', 'messages[0]'],
  ['{"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}, {"role": "assistant", "content": "a"}]}', 'bad-shape', 'messages[0].content'],
  ['{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": null, "tool_calls": [{"id": "1"}]}]}', 'bad-shape', 'messages[1].content'],
  ['{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok", "tool_calls": [{"id": "1"}]}]}', 'bad-shape', 'messages[1].tool_calls'],
  ['{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok", "weight": 0.5}]}', 'bad-shape', 'messages[1].weight'],
  ['{"messages": [{"role": 1, "content": "hi"}]}', 'bad-shape', 'messages[0].role'],
  ['{"messages": [{"role": "tool", "content": "42"}, {"role": "assistant", "content": "ok"}]}', 'unknown-role', 'messages[0].role'],
  ['{"conversations": [{"from": "bot", "value": "hi"}]}', 'unknown-role', 'conversations[0].from'],
  ['{"messages": [{"role": "user", "content": "  "}, {"role": "assistant", "content": "ok"}]}', 'empty-content', 'messages[0].content'],
  ['{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": ""}]}', 'empty-content', 'conversations[1].value'],
  ['{"messages": [{"role": "user", "content": "a\\ud800b"}, {"role": "assistant", "content": "ok"}]}', 'invalid-text', 'messages[0].content'],
  ['{"messages": [{"role": "user", "content": "hi"}, {"role": "system", "content": "late"}, {"role": "assistant", "content": "ok"}]}', 'misplaced-system', 'messages[1].role'],
  ['{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}]}', 'no-assistant-turn', 'messages'],
  ['{"messages": []}', 'no-assistant-turn', 'messages'],
];

test('every kind of bad sample is counted under its reason with file:line and field; the good ones around it are kept', async () => {
  const good = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}';
  const lines = [good, ...BAD.flatMap(([line]) => [line, '']), good];
  const f = put('bad.jsonl', lines.join('\n') + '\n');
  const rejects = new RejectCounter(100);
  const convs = await readAll([f], { rejects });
  assert.deepEqual(convs.map((c) => c.where), [`${f}:1`, `${f}:${lines.length}`]);
  assert.equal(rejects.records, BAD.length + 2);
  assert.equal(rejects.total, BAD.length);
  const report = rejects.toJSON();
  for (const [i, [line, reason, field]] of BAD.entries()) {
    const where = `${f}:${2 + 2 * i}`;
    const examples = report.reasons[reason as keyof typeof report.reasons]!.examples;
    const ex = examples.find((e) => e.startsWith(`${where}: `));
    assert.ok(ex, `${line}: no ${reason} example at ${where} (got ${examples.join(' | ')})`);
    if (field) assert.ok(ex.startsWith(`${where}: ${field}: `), `${line}: ${ex} names ${field}`);
  }
  assert.match(rejects.summary(), new RegExp(`^${BAD.length} of ${BAD.length + 2} samples rejected:\\n  invalid-json: 1 \\(e\\.g\\. .*bad\\.jsonl:2: not valid JSON`));
});

test('strict refuses the first bad sample with a typed error naming file:line and the field', async () => {
  for (const [i, [line, reason, field]] of BAD.entries()) {
    const f = put(`strict-${i}.jsonl`, jsonl([OPENAI[0]]) + line + '\n');
    await assert.rejects(
      readAll([f], { strict: true, rejects: new RejectCounter() }),
      (e: unknown) => e instanceof SftDataError && e.reason === reason && e.where === `${f}:2` && e.field === field && e.message.startsWith(`${f}:2: `),
      line,
    );
  }
  // Without a counter to report them to, bad samples are refused too (never dropped unseen).
  await assert.rejects(readAll([put('strict-default.jsonl', BAD[0]![0] + '\n')]), SftDataError);
});

test('a damaged compressed file keeps its samples before the damage and counts the rest as unreadable', async () => {
  const text = jsonl(Array.from({ length: 200 }, (_, i) => ({ messages: [{ role: 'user', content: `question ${i}` }, { role: 'assistant', content: `answer ${i}` }] })));
  const gz = gzipSync(text);
  const f = put('cut.jsonl.gz', gz.subarray(0, Math.floor(gz.length * 0.7)));
  const rejects = new RejectCounter();
  const convs = await readAll([f], { rejects });
  assert.ok(convs.length > 0 && convs.length < 200, `${convs.length} samples before the damage`);
  assert.deepEqual(convs.map((c) => c.messages[0]!.content), convs.map((_, i) => `question ${i}`));
  assert.equal(rejects.count('unreadable'), 1);
  assert.equal(rejects.records, convs.length);
  await assert.rejects(readAll([f], { strict: true }), (e: unknown) => e instanceof SftDataError && e.reason === 'unreadable' && e.where === f);
});

test('files that cannot hold chat samples are refused before any is read', async () => {
  const txt = put('notes.txt', 'hello');
  await assert.rejects(readAll([put('ok.jsonl', jsonl(OPENAI)), txt], { rejects: new RejectCounter() }), (e: unknown) => e instanceof SftDataError && /notes\.txt: not a chat data file/.test(e.message));
  await assert.rejects(readAll([join(dir, 'missing.jsonl')], { rejects: new RejectCounter() }), (e: unknown) => e instanceof SftDataError && /missing\.jsonl: no such file/.test(e.message));
  assert.equal(readFileSync(txt, 'utf8'), 'hello');
  // Inside a folder, files of other formats are not inputs; a folder with none that are is refused.
  const folder = join(dir, 'folder');
  mkdirSync(folder);
  writeFileSync(join(folder, 'README.md'), '# a chat set');
  await assert.rejects(readAll([folder], { rejects: new RejectCounter() }), (e: unknown) => e instanceof SftDataError && /no chat data files/.test(e.message));
  writeFileSync(join(folder, 'b.jsonl'), jsonl([OPENAI[1]]));
  writeFileSync(join(folder, 'a.jsonl'), jsonl([OPENAI[0]]));
  assert.deepEqual((await readAll([folder])).map((c) => c.where), [join(folder, 'a.jsonl') + ':1', join(folder, 'b.jsonl') + ':1']);
});

// One record (a JSONL line or a Parquet row) as a conversation, in either of the two forms chat sets
// come in: OpenAI's {"messages": [{"role", "content"}]} and ShareGPT's {"conversations": [{"from",
// "value"}]}. Anything else is refused with the field at fault, never guessed at.
import { SftDataError, type ChatRole, type ChatTurn, type Conversation } from './conversation.js';

const OPENAI_FORM = { list: 'messages', role: 'role', text: 'content' };

const OPENAI_ROLES: Record<string, ChatRole> = { system: 'system', user: 'user', assistant: 'assistant' };
// ShareGPT's own spellings (FastChat, axolotl) and the OpenAI ones some exports use instead.
const SHAREGPT_ROLES: Record<string, ChatRole> = { system: 'system', human: 'user', user: 'user', gpt: 'assistant', assistant: 'assistant' };

// Lone surrogates cannot be written as UTF-8 (the tokenizer would see U+FFFD); U+FDD0..U+FDEF are
// noncharacters, which the renderer uses internally to find each message in the template's output.
const INVALID_TEXT = /[\uFDD0-\uFDEF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Refuses text the renderer cannot carry unchanged into tokens. */
export function checkTurnText(text: string, where: string, field: string): void {
  const bad = INVALID_TEXT.exec(text);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new SftDataError('invalid-text', where, field, `holds U+${code} at character ${bad.index} (a lone surrogate or a noncharacter is not text)`);
  }
}

/**
 * Checks the turns of a conversation, however it was made: known roles, non-empty valid text, a system
 * turn only first, at least one assistant turn to learn from. Roles need not alternate: ChatML renders
 * any order (a template that insists raises, and the renderer refuses the sample then).
 */
export function checkTurns(messages: readonly ChatTurn[], where: string, form: { list: string; role: string; text: string; first?: number } = OPENAI_FORM): void {
  const { list, role: roleKey, text: textKey, first = 0 } = form;
  let learnt = 0;
  for (const [i, m] of messages.entries()) {
    // `first`: a ShareGPT `system` field became turn 0, so the list's own turns start at 1.
    const at = i < first ? 'system' : `${list}[${i - first}]`;
    const field = (k: string): string => (i < first ? at : `${at}.${k}`);
    if (!Object.hasOwn(OPENAI_ROLES, m.role)) throw new SftDataError('unknown-role', where, field(roleKey), `unknown role '${m.role}' (expected system, user or assistant)`);
    if (m.role === 'system' && i > 0) throw new SftDataError('misplaced-system', where, field(roleKey), 'a system turn may only come first');
    if (typeof m.content !== 'string') throw new SftDataError('bad-shape', where, field(textKey), `expected a string, got ${typeName(m.content)}`);
    if (m.content.trim().length === 0) throw new SftDataError('empty-content', where, field(textKey), 'is empty');
    checkTurnText(m.content, where, field(textKey));
    if (m.role === 'assistant' && m.train !== false) learnt++;
  }
  if (learnt === 0) {
    const why = messages.some((m) => m.role === 'assistant') ? 'every assistant turn has weight 0' : 'there is no assistant turn';
    throw new SftDataError('no-assistant-turn', where, list, `nothing to learn from: ${why}`);
  }
}

function ownId(v: unknown): string | undefined {
  if (typeof v === 'string' && v.length > 0) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  return undefined;
}

/**
 * The conversation a record holds. `where` names it in errors and is its id unless the record has an
 * `id` (a non-empty string or a number). Throws SftDataError naming the field at fault.
 */
export function conversationFromRecord(record: unknown, where: string): Conversation {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new SftDataError('bad-shape', where, undefined, `expected a JSON object with 'messages' or 'conversations', got ${typeName(record)}`);
  }
  const r = record as Record<string, unknown>;
  const hasMessages = r.messages !== undefined && r.messages !== null;
  const hasConversations = r.conversations !== undefined && r.conversations !== null;
  if (hasMessages && hasConversations) throw new SftDataError('bad-shape', where, 'conversations', "both 'messages' and 'conversations' are given: which one is the sample is ambiguous");
  if (!hasMessages && !hasConversations) throw new SftDataError('bad-shape', where, 'messages', "missing: expected 'messages' (OpenAI form) or 'conversations' (ShareGPT form)");
  const sharegpt = hasConversations;
  const list = sharegpt ? 'conversations' : 'messages';
  const turns = r[list];
  if (!Array.isArray(turns)) throw new SftDataError('bad-shape', where, list, `expected a list of turns, got ${typeName(turns)}`);
  if (turns.length === 0) throw new SftDataError('no-assistant-turn', where, list, 'the list of turns is empty');
  const [roleKey, textKey] = sharegpt ? ['from', 'value'] : ['role', 'content'];
  const roles = sharegpt ? SHAREGPT_ROLES : OPENAI_ROLES;
  const messages: ChatTurn[] = [];
  // Some ShareGPT exports carry the system prompt beside the turns (axolotl reads it so).
  if (sharegpt && r.system !== undefined && r.system !== null && r.system !== '') {
    if (typeof r.system !== 'string') throw new SftDataError('bad-shape', where, 'system', `expected a string, got ${typeName(r.system)}`);
    messages.push({ role: 'system', content: r.system });
  }
  const first = messages.length;
  for (const [i, t] of turns.entries()) {
    const at = `${list}[${i}]`;
    if (t === null || typeof t !== 'object' || Array.isArray(t)) throw new SftDataError('bad-shape', where, at, `expected an object {${roleKey}, ${textKey}}, got ${typeName(t)}`);
    const turn = t as Record<string, unknown>;
    const rawRole = turn[roleKey];
    if (typeof rawRole !== 'string') throw new SftDataError('bad-shape', where, `${at}.${roleKey}`, `expected a string, got ${typeName(rawRole)}`);
    const role = Object.hasOwn(roles, rawRole) ? roles[rawRole] : undefined;
    if (role === undefined) {
      throw new SftDataError('unknown-role', where, `${at}.${roleKey}`, `unknown role '${rawRole}' (expected ${Object.keys(roles).join(', ')})`);
    }
    const text = turn[textKey];
    if (typeof text !== 'string') {
      const parts = Array.isArray(text) ? ' (content parts are not supported: give the text as one string)' : '';
      throw new SftDataError('bad-shape', where, `${at}.${textKey}`, `expected a string, got ${typeName(text)}${parts}`);
    }
    // Rendering the text alone would drop the call: the sample would teach an answer never given.
    for (const k of ['tool_calls', 'function_call']) {
      if (turn[k] !== undefined && turn[k] !== null) throw new SftDataError('bad-shape', where, `${at}.${k}`, 'tool and function calls are not supported');
    }
    const m: ChatTurn = { role, content: text };
    if (turn.weight !== undefined && turn.weight !== null) {
      // Parquet gives integers as bigint.
      const w = typeof turn.weight === 'bigint' ? Number(turn.weight) : turn.weight;
      if (w !== 0 && w !== 1) throw new SftDataError('bad-shape', where, `${at}.weight`, `expected 0 or 1, got ${typeof w === 'number' ? w : typeName(w)}`);
      if (role !== 'assistant') throw new SftDataError('bad-shape', where, `${at}.weight`, 'only assistant turns have a weight');
      m.train = w === 1;
    }
    messages.push(m);
  }
  checkTurns(messages, where, { list, role: roleKey, text: textKey, first });
  return { id: ownId(r.id) ?? where, messages, where, ...(typeof r.split === 'string' ? { split: r.split } : {}), ...(typeof r.answer === 'string' ? { answer: r.answer } : {}), ...(typeof r.task === 'string' ? { task: r.task } : {}), ...(typeof r.entity === 'string' ? { entity: r.entity } : {}) };
}

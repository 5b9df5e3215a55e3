// WARC and WET files (gzip'd record by record, as Common Crawl publishes them) as documents:
// WET `conversion` records are text already; WARC `response`/`resource` records of HTML or plain
// text are decoded with their declared charset and HTML is reduced to its visible text. Other
// records (warcinfo, request, metadata, images...) are skips, counted by kind.
import { isUtf8 } from 'node:buffer';
import { LimitReader, WARCParser, type WARCRecord } from 'warcio';
import { fileChunks, StreamError } from './bytes.js';
import { htmlToText } from './html-text.js';
import type { ReadItem, Slice } from './items.js';

function charsetOf(contentType: string | null | undefined): string | undefined {
  const m = /charset\s*=\s*["']?([^;"'\s]+)/i.exec(contentType ?? '');
  return m ? m[1]!.toLowerCase() : undefined;
}

function decode(bytes: Uint8Array, charset: string | undefined): string | undefined {
  if (!charset || charset === 'utf-8' || charset === 'utf8') return isUtf8(bytes) ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : undefined;
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    // An unknown label: the page is most likely UTF-8 anyway.
    return isUtf8(bytes) ? new TextDecoder().decode(bytes) : undefined;
  }
}

/** A decoded record body past this is not a document (and may be a decompression bomb): skipped, counted. */
const MAX_BODY_BYTES = 64 << 20;

type Plan = { skip: string } | { html: boolean; contentType: string | null | undefined; ct: string };

/** What the record's headers say to do with it: skip it (by kind), or read it as text. */
function planOf(rec: WARCRecord): Plan {
  const type = rec.warcType;
  let contentType: string | null | undefined;
  if (type === 'response') {
    const status = Number(rec.httpHeaders?.statusCode ?? 200);
    if (status !== 200) return { skip: `http_${status}` };
    contentType = rec.httpHeaders?.headers.get('content-type');
  } else if (type === 'resource' || type === 'conversion') {
    contentType = rec.warcContentType;
  } else {
    return { skip: `warc_${type}` };
  }
  const ct = (contentType ?? (type === 'conversion' ? 'text/plain' : '')).toLowerCase();
  const html = ct.includes('html');
  if (!html && !ct.startsWith('text/plain')) return { skip: 'not_text' };
  return { html, contentType, ct };
}

/**
 * Reads the record's block to its end (keeping it only when `keep`), and returns the bytes its
 * Content-Length claims but the file does not have. warcio's own skipFully waits forever for them.
 */
async function consume(rec: WARCRecord, keep: boolean): Promise<{ raw?: Uint8Array; missing: number }> {
  const reader = rec._reader;
  if (!(reader instanceof LimitReader)) return { raw: keep ? await rec.readFully(false) : undefined, missing: 0 };
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of reader) {
    if (!keep) continue;
    parts.push(chunk);
    size += chunk.length;
  }
  rec.consumed = 'skipped';
  return { raw: keep ? Buffer.concat(parts, size) : undefined, missing: Math.max(0, reader.limit) };
}

/** The body with its HTTP transfer and content encodings undone, or undefined past MAX_BODY_BYTES. */
async function decodedBody(rec: WARCRecord, raw: Uint8Array): Promise<Uint8Array | undefined> {
  if (!rec.httpHeaders) return raw.length > MAX_BODY_BYTES ? undefined : raw;
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of rec._createDecodingReader([raw])) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    parts.push(chunk);
  }
  return Buffer.concat(parts, size);
}

function toItem(rec: WARCRecord, plan: Extract<Plan, { ct: string }>, body: Uint8Array, source: string, index: number): ReadItem {
  const type = rec.warcType;
  const where = `${source}: record ${index}`;
  const decoded = decode(body, charsetOf(plan.ct));
  if (decoded === undefined) return { error: 'invalid_utf8', detail: `${where}: not valid ${charsetOf(plan.ct) ?? 'UTF-8'} text` };
  const text = plan.html ? htmlToText(decoded) : decoded;
  if (!text.trim()) return { skip: 'empty' };
  const h = (name: string): string | undefined => rec.warcHeader(name) ?? undefined;
  const metadata: Record<string, unknown> = { source, url: rec.warcTargetURI ?? null, date: rec.warcDate ?? null, warc_type: type };
  const id = h('WARC-Record-ID');
  if (id) metadata.warc_record_id = id;
  if (plan.contentType) metadata.content_type = plan.contentType;
  const lang = h('WARC-Identified-Content-Language');
  if (lang) metadata.content_language = lang;
  const refers = h('WARC-Refers-To');
  if (refers) metadata.refers_to = refers;
  return { doc: { id: id ?? `${source}:${index}`, text, metadata } };
}

/**
 * The records of a WARC or WET file as items. A record cut short by the end of the file is dropped
 * and counted as 'truncated' (warcio would hand out the partial text; a document missing its end
 * is not one to train on), and so is a record whose Content-Length is not a length ('corrupt'):
 * either ends the file, since the next record cannot be found.
 */
export async function* readWarc(slice: Slice, skip: number): AsyncGenerator<ReadItem> {
  // Items passed or yielded so far: the position of a failure's item.
  let items = 0;
  let failure: ReadItem | undefined;
  let trailing: StreamError | undefined;
  try {
    const parser = new WARCParser(fileChunks(slice.path, slice.format === 'warc.gz' ? 'gzip' : 'none', { onTrailing: (e) => (trailing = e) }));
    for await (const rec of parser) {
      const where = `${slice.source}: record ${items}`;
      const length = rec.warcHeader('Content-Length');
      if (typeof length !== 'string' || !/^\s*\d{1,15}\s*$/.test(length)) {
        failure = { error: 'corrupt', detail: `${where}: Content-Length ${JSON.stringify(length ?? null)} is not a length, so the records after it cannot be found` };
        break;
      }
      const passing = items < skip;
      const plan = passing ? undefined : planOf(rec);
      const keep = plan !== undefined && !('skip' in plan);
      const { raw, missing } = await consume(rec, keep);
      if (missing > 0) {
        failure = { error: 'truncated', detail: `${where}: cut short by the end of the file (${missing} of its ${length.trim()} bytes missing)` };
        break;
      }
      items++;
      if (passing) continue;
      if (!keep) {
        yield { skip: (plan as { skip: string }).skip };
        continue;
      }
      const body = await decodedBody(rec, raw!);
      yield body === undefined ? { skip: 'too_large' } : toItem(rec, plan, body, slice.source, items - 1);
    }
  } catch (e) {
    failure =
      e instanceof StreamError
        ? { error: e.failure, detail: `${slice.source}: after ${items} records: ${e.message}` }
        : { error: 'corrupt', detail: `${slice.source}: after ${items} records: not a valid WARC file (${(e as Error).message})` };
  }
  if (!failure && trailing) failure = { error: trailing.failure, detail: `${slice.source}: after ${items} records: ${trailing.message}` };
  // The failure is the slice's last item: a resumed reader may have passed it already.
  if (failure && items >= skip) yield failure;
}

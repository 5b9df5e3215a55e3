// WARC and WET files (gzip'd record by record, as Common Crawl publishes them) as documents:
// WET `conversion` records are text already; WARC `response`/`resource` records of HTML or plain
// text are decoded with their declared charset and HTML is reduced to its visible text. Other
// records (warcinfo, request, metadata, images...) are skips, counted by kind.
import { isUtf8 } from 'node:buffer';
import { WARCParser, type WARCRecord } from 'warcio';
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

async function toItem(rec: WARCRecord, source: string, index: number): Promise<ReadItem> {
  const type = rec.warcType;
  const where = `${source}: record ${index}`;
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
  const bytes = await rec.readFully(true);
  const decoded = decode(bytes, charsetOf(ct));
  if (decoded === undefined) return { error: 'invalid_utf8', detail: `${where}: not valid ${charsetOf(ct) ?? 'UTF-8'} text` };
  const text = html ? htmlToText(decoded) : decoded;
  if (!text.trim()) return { skip: 'empty' };
  const h = (name: string): string | undefined => rec.warcHeader(name) ?? undefined;
  const metadata: Record<string, unknown> = { source, url: rec.warcTargetURI ?? null, date: rec.warcDate ?? null, warc_type: type };
  const id = h('WARC-Record-ID');
  if (id) metadata.warc_record_id = id;
  if (contentType) metadata.content_type = contentType;
  const lang = h('WARC-Identified-Content-Language');
  if (lang) metadata.content_language = lang;
  const refers = h('WARC-Refers-To');
  if (refers) metadata.refers_to = refers;
  return { doc: { id: id ?? `${source}:${index}`, text, metadata } };
}

export async function* readWarc(slice: Slice, skip: number): AsyncGenerator<ReadItem> {
  // Items passed or yielded so far: the position of a failure's item.
  let items = 0;
  let failure: ReadItem;
  try {
    const parser = new WARCParser(fileChunks(slice.path, slice.format === 'warc.gz' ? 'gzip' : 'none'));
    for await (const rec of parser) {
      if (items < skip) {
        await rec.skipFully();
        items++;
        continue;
      }
      const item = await toItem(rec, slice.source, items);
      items++;
      yield item;
    }
    return;
  } catch (e) {
    failure =
      e instanceof StreamError
        ? { error: e.failure, detail: `${slice.source}: after ${items} records: ${e.message}` }
        : { error: 'corrupt', detail: `${slice.source}: after ${items} records: not a valid WARC file (${(e as Error).message})` };
  }
  // A resumed reader may have passed the failure already.
  if (items >= skip) yield failure;
}

// The chat page: plain HTML, JS and CSS shipped in the package (web/chat/), read once and served
// from memory. Nothing comes from a CDN.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** web/chat/ of the package (this file runs as dist/src/serve/http/static.js). */
export const PAGE_DIR = fileURLToPath(new URL('../../../../web/chat/', import.meta.url));

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/chat.js': { file: 'chat.js', type: 'text/javascript; charset=utf-8' },
  '/chat.css': { file: 'chat.css', type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Buffer>();

/** The page file at a URL path, or undefined when the path is not one of the page's. */
export function pageFile(path: string): { body: Buffer; type: string } | undefined {
  const f = FILES[path];
  if (!f) return undefined;
  let body = cache.get(f.file);
  if (!body) {
    body = readFileSync(PAGE_DIR + f.file);
    cache.set(f.file, body);
  }
  return { body, type: f.type };
}

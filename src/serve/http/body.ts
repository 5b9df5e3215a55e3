// Reading a request body: at most maxBytes (413 past it, checked on Content-Length before reading and
// on the bytes as they come), then JSON (400 naming the position of the syntax error).
import type { IncomingMessage } from 'node:http';
import { ApiError, badRequest } from './errors.js';

/** Past the limit the rest of the body is read and dropped (so the client can read the 413), up to this many times the limit. */
const DRAIN_FACTOR = 64;

export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new ApiError(413, `the request body is larger than the limit of ${maxBytes} bytes (--max-body)`, 'invalid_request_error', null, 'request_too_large');
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes * DRAIN_FACTOR) {
      reject(tooLarge());
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number.isFinite(declared) && declared > maxBytes;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) over = true;
      if (over) {
        chunks.length = 0;
        if (size > maxBytes * DRAIN_FACTOR) {
          reject(tooLarge());
          req.destroy();
        }
      } else chunks.push(c);
    });
    req.on('error', reject);
    // A client gone before the end of its body: nothing to answer, but nothing may wait forever either.
    req.on('close', () => {
      if (!req.complete) reject(badRequest('the client closed the connection before the end of the body'));
    });
    req.on('end', () => {
      if (over) return reject(tooLarge());
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return reject(badRequest('the request body is empty; expected a JSON object'));
      try {
        resolve(JSON.parse(text));
      } catch (e) {
        reject(badRequest(`the request body is not valid JSON: ${(e as Error).message}`));
      }
    });
  });
}

// The HTTP server: routes, API key, body limit, errors in OpenAI's shape, and a graceful close.
// node:http rather than a framework: the server streams (SSE), needs the socket's close to cancel a
// request, and has six routes; zod does the validation (schemas.ts).
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Tokenizer } from '../../tokenizer/tokenizer.js';
import { ContextLengthError, EngineClosedError, InvalidRequestError, QueueFullError, type Engine } from '../engine-api.js';
import { readJsonBody } from './body.js';
import { ApiError, badRequest } from './errors.js';
import { ServerMetrics } from './metrics.js';
import { handleGeneration, type ApiContext } from './openai.js';
import { pageFile } from './static.js';

export interface ServerOptions {
  engine: Engine;
  tokenizer: Tokenizer;
  /** The model's chat template; ChatML when absent. */
  chatTemplate?: string;
  /** Where the template came from (named in errors). */
  templateSource?: string;
  /** Required as `Authorization: Bearer KEY` on /v1/* and /metrics when set. */
  apiKey?: string;
  /** Largest request body in bytes (413 past it). Default 1 MiB. */
  maxBodyBytes?: number;
  /** Called with each unexpected failure (a 500); default console.error. */
  onError?: (e: unknown) => void;
}

export interface YiServer {
  readonly http: Server;
  readonly metrics: ServerMetrics;
  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Stops taking connections and requests, lets running ones finish (graceful) or cancels them, closes the engine. */
  close(opts?: { graceful?: boolean }): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json), ...headers });
  res.end(json);
}

function sameKey(given: string, key: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createServer(o: ServerOptions): YiServer {
  const { engine } = o;
  const metrics = new ServerMetrics();
  const ctx: ApiContext = { engine, tokenizer: o.tokenizer, chatTemplate: o.chatTemplate, templateSource: o.templateSource, metrics };
  const maxBody = o.maxBodyBytes ?? 1 << 20;
  const onError = o.onError ?? ((e) => console.error('yi serve:', e));
  let closing = false;
  const created = Math.floor(Date.now() / 1e3);
  const modelCard = () => ({ id: engine.modelName, object: 'model', created, owned_by: 'yi-ts', max_model_len: engine.contextLength });

  const authorize = (req: IncomingMessage) => {
    if (o.apiKey === undefined) return;
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    if (!m || !sameKey(m[1]!.trim(), o.apiKey)) {
      throw new ApiError(401, m ? 'the API key is not valid' : "an API key is required: send the header 'Authorization: Bearer KEY'", 'authentication_error', null, 'invalid_api_key');
    }
  };

  const route = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const method = req.method ?? 'GET';
    const only = (...methods: string[]) => {
      if (!methods.includes(method)) throw new ApiError(405, `${method} is not allowed on ${path}; use ${methods.join(' or ')}`, 'invalid_request_error', null, 'method_not_allowed');
    };
    if (path === '/health') {
      only('GET', 'HEAD');
      return sendJson(res, closing ? 503 : 200, { status: closing ? 'shutting down' : 'ok' });
    }
    if (path === '/metrics') {
      only('GET');
      authorize(req);
      const text = metrics.render(engine.stats());
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      return void res.end(text);
    }
    if (path.startsWith('/v1/')) {
      authorize(req);
      if (path === '/v1/models') {
        only('GET');
        return sendJson(res, 200, { object: 'list', data: [modelCard()] });
      }
      if (path.startsWith('/v1/models/')) {
        only('GET');
        const id = decodeURIComponent(path.slice('/v1/models/'.length));
        if (id !== engine.modelName) throw new ApiError(404, `the model '${id}' does not exist; this server serves '${engine.modelName}'`, 'not_found_error', 'model', 'model_not_found');
        return sendJson(res, 200, modelCard());
      }
      const kind = path === '/v1/completions' ? 'completion' : path === '/v1/chat/completions' ? 'chat' : undefined;
      if (kind) {
        only('POST');
        if (closing) throw new ApiError(503, 'the server is shutting down', 'service_unavailable');
        const body = await readJsonBody(req, maxBody);
        return await handleGeneration(ctx, kind, body, req, res);
      }
    }
    const page = method === 'GET' || method === 'HEAD' ? pageFile(path) : undefined;
    if (page) {
      res.writeHead(200, { 'Content-Type': page.type, 'Content-Length': page.body.length, 'Cache-Control': 'no-cache' });
      return void res.end(method === 'HEAD' ? undefined : page.body);
    }
    throw new ApiError(404, `no route ${method} ${path}`, 'not_found_error', null, 'not_found');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let path = '/';
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      path = '(bad url)';
    }
    const known = /^\/(v1\/(models|completions|chat\/completions)|health|metrics|)$/.test(path) ? path : path.startsWith('/v1/models/') ? '/v1/models/{id}' : 'other';
    res.on('finish', () => metrics.countResponse(known, res.statusCode));
    try {
      if (path === '(bad url)') throw badRequest('the request URL does not parse');
      await route(req, res, path);
    } catch (e) {
      let err: ApiError;
      if (e instanceof ApiError) err = e;
      else if (e instanceof QueueFullError) err = new ApiError(429, e.message, 'rate_limit_error', null, 'queue_full');
      else if (e instanceof ContextLengthError) err = badRequest(e.message, null, 'context_length_exceeded');
      // The HTTP layer validates first; these are the engine's own refusals, still the client's or a shutdown's.
      else if (e instanceof InvalidRequestError) err = badRequest(e.message);
      else if (e instanceof EngineClosedError) err = new ApiError(503, 'the server is shutting down', 'service_unavailable');
      else {
        onError(e);
        err = new ApiError(500, `internal error: ${(e as Error).message ?? e}`, 'server_error');
      }
      if (res.headersSent) {
        if (!res.writableEnded) res.end();
        return;
      }
      const headers: Record<string, string> = err.status === 429 ? { 'Retry-After': '1' } : {};
      if (err.status === 413) headers.Connection = 'close';
      sendJson(res, err.status, err.toJSON(), headers);
    }
  };

  // Node's defaults bound how long a client may take to send its headers and body (slow clients);
  // a streamed response may last as long as it needs.
  const http = createHttpServer((req, res) => void handle(req, res));
  // A malformed request line or header gets a 400, not a dropped connection.
  http.on('clientError', (err, socket) => {
    if (!socket.writable) return socket.destroy();
    const body = JSON.stringify(badRequest(`malformed HTTP request: ${(err as Error).message}`).toJSON());
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  return {
    http,
    metrics,
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => {
          http.off('error', reject);
          resolve(http.address() as AddressInfo);
        });
      });
    },
    async close(opts = {}) {
      closing = true;
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      await engine.close({ graceful: opts.graceful ?? true });
      // Responses of finished requests are out; keep-alive sockets left idle are closed.
      http.closeIdleConnections();
      setTimeout(() => http.closeAllConnections(), 2000).unref();
      await stopped;
    },
  };
}

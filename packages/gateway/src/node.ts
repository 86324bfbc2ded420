import type { Readable } from 'node:stream';
import { type Dispatcher, Pool } from 'undici';
import type { Cancel } from './cancel.js';
import type { HeaderRecord } from './headers.js';

/** A node reached over HTTP (an undici pool with keep-alive). */
export interface HttpNodeSpec {
  id: string;
  /** The node's origin, such as `http://10.0.0.5:8080`. Paths are appended to it. */
  url: string | URL;
  /** Keep-alive connections to the node. Default 64. */
  connections?: number;
  /** Path of the active health check (GET; any answer below 500 is healthy). Default `/healthz`. */
  healthPath?: string;
}

/** A node in this process: a web-standard handler, such as a runtime's `fetch`. */
export interface LocalNodeSpec {
  id: string;
  handler: (request: Request) => Response | Promise<Response>;
  /** Active health check; without it a local node is judged by its answers only. */
  check?: () => boolean | Promise<boolean>;
}

/** A node the gateway may route to. */
export type NodeSpec = HttpNodeSpec | LocalNodeSpec;

/** A request on its way to a node (body fully read, headers cleaned). */
export interface Outbound {
  method: string;
  /** Path and query, job prefix removed. */
  path: string;
  headers: Record<string, string>;
  body: Uint8Array | null;
  /** Host the client used (for the URL a local handler sees). */
  host: string | undefined;
}

/** A node's answer; the body is still streaming. */
export interface Inbound {
  status: number;
  headers: HeaderRecord;
  body: Readable | ReadableStream<Uint8Array> | null;
}

/** Why sending failed, which decides retry and health. */
export type FailureKind = 'timeout' | 'connect' | 'sent' | 'aborted';

/**
 * A failed send. `connect` means the request never reached the node, so any method may be retried. Not an Error:
 * it never leaves the gateway (the router answers it as a gateway error), so it needs no stack trace.
 */
export class SendFailure {
  /** What undici or the local handler threw. */
  readonly cause: unknown;

  constructor(
    readonly kind: FailureKind,
    options: { cause: unknown },
  ) {
    this.cause = options.cause;
  }
}

/** How the gateway talks to one node. */
export interface Upstream {
  /** `cancel` is aborted when the client goes away; send aborts it itself on timeout. */
  send(request: Outbound, timeoutMs: number, cancel: Cancel): Promise<Inbound>;
  /** Active health check; `undefined` when the node has none. */
  check: ((timeoutMs: number) => Promise<boolean>) | undefined;
  close(): Promise<void>;
}

const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

function classify(error: unknown, cancel: Cancel): FailureKind {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout';
  if (cancel.aborted || code === 'UND_ERR_ABORTED' || (error as Error | null)?.name === 'AbortError') return 'aborted';
  if (typeof code === 'string' && CONNECT_CODES.has(code)) return 'connect';
  return 'sent';
}

/** Checks a spec and returns its upstream. @throws {TypeError} on a malformed spec */
export function createUpstream(spec: NodeSpec): Upstream {
  if ('handler' in spec) {
    if (typeof spec.handler !== 'function') throw new TypeError(`Node ${spec.id}: handler must be a function.`);
    if (spec.check !== undefined && typeof spec.check !== 'function') {
      throw new TypeError(`Node ${spec.id}: check must be a function.`);
    }
    return localUpstream(spec);
  }
  if (!('url' in spec))
    throw new TypeError(`Node ${String((spec as { id?: unknown }).id)}: give either url or handler.`);
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch (cause) {
    throw new TypeError(`Node ${spec.id}: url ${String(spec.url)} is not a URL.`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Node ${spec.id}: url must be http: or https:, got ${url.protocol}.`);
  }
  const connections = spec.connections ?? 64;
  if (!Number.isInteger(connections) || connections < 1) {
    throw new RangeError(`Node ${spec.id}: connections must be a positive integer, got ${connections}.`);
  }
  return httpUpstream(url, connections, spec.healthPath ?? '/healthz');
}

function httpUpstream(url: URL, connections: number, healthPath: string): Upstream {
  const pool = new Pool(url.origin, { connections, keepAliveTimeout: 10_000 });
  const base = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return {
    send(request, timeoutMs, cancel) {
      // Our own timer: undici's headersTimeout runs on a coarse clock (it fired up to ~0.5 s late here).
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        cancel.abort(new Error(`no response headers within ${timeoutMs} ms`));
      }, timeoutMs);
      return pool
        .request({
          method: request.method as Dispatcher.HttpMethod,
          path: base + request.path,
          headers: request.headers,
          body: request.body,
          signal: cancel as unknown as AbortSignal,
        })
        .then(
          (answer): Inbound => {
            clearTimeout(timer);
            return { status: answer.statusCode, headers: answer.headers, body: answer.body };
          },
          (cause: unknown) => {
            clearTimeout(timer);
            throw new SendFailure(timedOut ? 'timeout' : classify(cause, cancel), { cause });
          },
        );
    },
    async check(timeoutMs) {
      try {
        const answer = await pool.request({
          method: 'GET',
          path: base + healthPath,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        await answer.body.dump();
        // Any answer below 500 means the node is up: a node without the path (404) must not be ejected for it.
        return answer.statusCode < 500;
      } catch {
        return false;
      }
    },
    close: () => pool.close(),
  };
}

function localUpstream(spec: LocalNodeSpec): Upstream {
  const { handler, check } = spec;
  return {
    async send(request, timeoutMs, cancel) {
      const controller = new AbortController();
      const onAbort = () => controller.abort(cancel.reason);
      cancel.addEventListener('abort', onAbort);
      let timer: NodeJS.Timeout | undefined;
      try {
        const init: RequestInit = { method: request.method, headers: request.headers, signal: controller.signal };
        if (request.body !== null && request.method !== 'GET' && request.method !== 'HEAD')
          init.body = request.body as Uint8Array<ArrayBuffer>;
        // The Host header is client input: use it for the URL only if it is a plain host[:port].
        const host = request.host !== undefined && HOST.test(request.host) ? request.host : 'localhost';
        const webRequest = new Request(`http://${host}${request.path}`, init);
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const error = new Error(`no answer within ${timeoutMs} ms`);
            controller.abort(error);
            reject(new SendFailure('timeout', { cause: error }));
          }, timeoutMs);
        });
        const response = await Promise.race([handler(webRequest), timeout]);
        const headers: HeaderRecord = {};
        for (const [name, value] of response.headers) {
          if (name === 'set-cookie') continue;
          headers[name] = value;
        }
        const cookies = response.headers.getSetCookie();
        if (cookies.length > 0) headers['set-cookie'] = cookies;
        return { status: response.status, headers, body: response.body };
      } catch (cause) {
        if (cause instanceof SendFailure) throw cause;
        throw new SendFailure(cancel.aborted ? 'aborted' : 'sent', { cause });
      } finally {
        clearTimeout(timer);
        cancel.removeEventListener('abort', onAbort);
      }
    },
    check:
      check === undefined
        ? undefined
        : async () => {
            try {
              return (await check()) === true;
            } catch {
              return false;
            }
          },
    close: async () => {},
  };
}

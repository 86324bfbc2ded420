import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { errorBodyJson, errorHeaders } from '@mu/errors';

/** A node:http server around a web-standard handler, that counts in-flight requests and can drain. */
export interface DrainableServer {
  server: Server;
  inFlight(): number;
  /** Serves the handler on `port` (0: a free one) and answers the bound port. */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting, waits for in-flight requests (up to `timeoutMs`), then closes every connection. */
  drain(timeoutMs: number): Promise<{ drained: boolean }>;
}

function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  const method = req.method ?? 'GET';
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (method !== 'GET' && method !== 'HEAD') {
    init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
    init.duplex = 'half';
  }
  return new Request(`http://${req.headers.host ?? 'node.local'}${req.url ?? '/'}`, init);
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  res.writeHead(response.status, headers);
  if (response.body === null) {
    res.end();
    return;
  }
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}

/**
 * Serves `(Request) => Promise<Response>` over node:http and tracks in-flight requests for a graceful stop.
 *
 * @example
 * ```ts
 * const server = createDrainableServer(async () => new Response('ok'));
 * const port = await server.listen(0, '127.0.0.1');
 * await server.drain(5_000);
 * ```
 */
export function createDrainableServer(
  handler: (request: Request) => Promise<Response>,
  listener?: (req: IncomingMessage, res: ServerResponse) => void,
): DrainableServer {
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const done = () => {
    inFlight--;
    if (inFlight === 0) idle?.();
  };
  const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    inFlight++;
    res.once('close', done);
    if (listener) {
      listener(req, res);
      return;
    }
    handler(toRequest(req))
      .then((response) => send(res, response))
      .catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, errorHeaders('NODE_INTERNAL'));
          res.end(errorBodyJson('NODE_INTERNAL', String(error)));
        } else res.destroy();
      });
  });
  return {
    server,
    inFlight: () => inFlight,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          resolve(typeof address === 'object' && address !== null ? address.port : port);
        });
      });
    },
    async drain(timeoutMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let drained = inFlight === 0;
      if (!drained) {
        drained = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), timeoutMs);
          idle = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
      }
      server.closeAllConnections();
      await closed;
      return { drained };
    },
  };
}

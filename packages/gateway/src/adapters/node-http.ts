import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { type Duplex, Readable } from 'node:stream';
import { Cancel } from '../cancel.js';
import { errorAnswer } from '../error-answer.js';
import { BadFramingError, BodyTooLargeError, NoSuchJobError, UpstreamFailedError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { responseHeaderList } from '../headers.js';
import { discard, type Incoming, type Route, releaseOnce } from '../router.js';
import type { ParseTarget, Target } from '../target.js';

/** A node:http request listener. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Connect/Express-style middleware. */
export type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * The node:http front end: a request listener and a middleware over the router. It skips web `Request` and
 * `Response` objects (they cost measurably per request): the router reads node:http's header record directly,
 * and the node's answer is written with `writeHead` and piped with back-pressure.
 */
export function createNodeHandlers(
  route: Route,
  parseTarget: ParseTarget,
): { handleNode: NodeHandler; middleware: NodeMiddleware } {
  function serve(req: IncomingMessage, res: ServerResponse, target: Target): void {
    const cancel = new Cancel();
    let release: (() => void) | undefined;
    let upstreamBody: Readable | undefined;
    res.once('close', () => {
      if (!res.writableFinished) cancel.abort(new Error('client closed the connection'));
      release?.();
      if (upstreamBody !== undefined && !upstreamBody.readableEnded) upstreamBody.destroy();
    });
    const socket = req.socket as IncomingMessage['socket'] & { encrypted?: boolean };
    const incoming: Incoming = {
      method: req.method ?? 'GET',
      host: req.headers.host,
      headers: req.headers,
      contentLength: req.headers['content-length'],
      transferEncoding: req.headers['transfer-encoding'],
      clientAddress: socket.remoteAddress,
      protocol: socket.encrypted ? 'https' : 'http',
      readBody: (limit, jobId) => readNodeBody(req, limit, jobId),
      cancel,
    };
    route(incoming, target).then(
      ({ inbound, node, traffic }) => {
        const done = releaseOnce(node);
        if (res.destroyed) {
          discard(inbound.body);
          done();
          return;
        }
        try {
          res.writeHead(inbound.status, responseHeaderList(inbound.headers));
        } catch (error) {
          discard(inbound.body);
          done();
          writeError(res, new UpstreamFailedError(node.id, 'bad-response', { cause: error }), false);
          return;
        }
        const source = inbound.body;
        if (source === null || req.method === 'HEAD') {
          discard(source);
          done();
          res.end();
          return;
        }
        release = done;
        const readable = source instanceof Readable ? source : Readable.fromWeb(source as never);
        upstreamBody = readable;
        let draining = false;
        readable.on('data', (chunk: Buffer) => {
          traffic.bytesOut += chunk.length;
          if (!res.write(chunk)) {
            readable.pause();
            // Listen for drain only once back-pressure happens: most answers fit in one write.
            if (!draining) {
              draining = true;
              res.on('drain', () => readable.resume());
            }
          }
        });
        readable.once('end', () => {
          done();
          res.end();
        });
        readable.once('error', (error) => {
          done();
          res.destroy(error);
        });
      },
      (error: unknown) => {
        const unread = !req.complete;
        writeError(res, error, unread);
      },
    );
  }

  const handleNode: NodeHandler = (req, res) => {
    const target = parseTarget(req.headers.host, req.url ?? '/');
    if (target === undefined) {
      writeError(res, new NoSuchJobError(undefined), !req.complete);
      return;
    }
    serve(req, res, target);
  };

  const middleware: NodeMiddleware = (req, res, next) => {
    const target = parseTarget(req.headers.host, req.url ?? '/');
    if (target === undefined) next();
    else serve(req, res, target);
  };

  return { handleNode, middleware };
}

function readNodeBody(req: IncomingMessage, limit: number, jobId: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        reject(new BodyTooLargeError(jobId, limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

function writeError(res: ServerResponse, error: unknown, closeConnection: boolean): void {
  if (res.destroyed) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const answer = errorAnswer(error);
  const headers: Record<string, string | number> = {
    ...answer.headers,
    'content-length': Buffer.byteLength(answer.body),
  };
  // An unread request body would otherwise be drained (413) or desynchronize the connection (400).
  if (closeConnection) headers.connection = 'close';
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}

/**
 * A node:http server for a gateway. Unlike a bare `createServer(gateway.handleNode)`, requests that Node's
 * own parser rejects (conflicting Content-Length / Transfer-Encoding and other framing errors) are answered
 * with the gateway's JSON 400 instead of an empty one.
 *
 * @example
 * ```ts
 * const server = createGatewayServer(gateway);
 * server.listen(8080, '127.0.0.1');
 * ```
 */
export function createGatewayServer(gateway: Gateway, options: ServerOptions = {}): Server {
  const server = createServer({ keepAliveTimeout: 10_000, ...options }, gateway.handleNode);
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    if (error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const answer = errorAnswer(new BadFramingError(`${error.code ?? 'parse error'}: ${error.message}`));
    let head = 'HTTP/1.1 400 Bad Request\r\n';
    for (const [name, value] of Object.entries(answer.headers)) head += `${name}: ${value}\r\n`;
    socket.end(`${head}content-length: ${Buffer.byteLength(answer.body)}\r\nconnection: close\r\n\r\n${answer.body}`);
  });
  return server;
}

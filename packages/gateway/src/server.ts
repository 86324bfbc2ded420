import { createServer, type Server, type ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { BadFramingError, errorBody } from './errors.js';
import type { Gateway } from './gateway.js';

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
    const body = errorBody(new BadFramingError(`${error.code ?? 'parse error'}: ${error.message}`));
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ExecutorError } from './errors.js';
import { createDrainableServer, type DrainableServer } from './http-server.js';

/** Options of {@link listenNodeServers}. */
export interface NodeServersOptions {
  host: string;
  /** The gateway port (clients' `/{jobId}/…`); 0 picks a free one. */
  port: number;
  /** The node port (the provider's gateways, `/_mu/health`, `/_mu/status`); 0 picks a free one. */
  nodePort: number;
  /** Serves a request for a job on this node's runtime (`mu-job-id` header). */
  serve(request: Request): Promise<Response>;
  /** The JSON of `GET /_mu/status`. */
  status(): unknown;
  /** Routes a request on the gateway port (`gateway.handleNode`). */
  route(req: IncomingMessage, res: ServerResponse): void;
  /** Called when a server listens, so the caller can close it if a later step fails. */
  onListening(server: DrainableServer): void;
}

/** The executor's two listening servers. */
export interface NodeServers {
  /** The gateway endpoint (`{url}/{jobId}/…`). */
  url: string;
  /** The node endpoint the provider's gateways forward to. */
  nodeUrl: string;
  /** Stops accepting on both, waits for in-flight requests (up to `timeoutMs`); `drained` is false if some ran on. */
  drain(timeoutMs: number): Promise<{ drained: boolean }>;
}

/**
 * Listens on the node port (this node's runtime, health, status) and the gateway port (`@mu/gateway` over this
 * node and its peers).
 *
 * @throws {ExecutorError} `NODE_START_FAILED` when a port cannot be listened on.
 */
export async function listenNodeServers(options: NodeServersOptions): Promise<NodeServers> {
  const nodeServer = createDrainableServer(async (request) => {
    const path = new URL(request.url).pathname;
    if (path === '/_mu/health' && !request.headers.has('mu-job-id')) return new Response('ok');
    if (path === '/_mu/status' && !request.headers.has('mu-job-id')) return Response.json(options.status());
    return options.serve(request);
  });
  const gatewayServer = createDrainableServer(async () => new Response(null, { status: 500 }), options.route);
  let nodePort: number;
  let port: number;
  try {
    nodePort = await nodeServer.listen(options.nodePort, options.host);
    options.onListening(nodeServer);
    port = await gatewayServer.listen(options.port, options.host);
    options.onListening(gatewayServer);
  } catch (error) {
    throw new ExecutorError('NODE_START_FAILED', 'cannot listen on the configured ports; choose free ones', {
      cause: error,
    });
  }
  return {
    url: `http://${options.host}:${port}`,
    nodeUrl: `http://${options.host}:${nodePort}`,
    async drain(timeoutMs) {
      const [publicSide, nodeSide] = await Promise.all([gatewayServer.drain(timeoutMs), nodeServer.drain(timeoutMs)]);
      return { drained: publicSide.drained && nodeSide.drained };
    },
  };
}

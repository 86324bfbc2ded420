import type { IncomingMessage, ServerResponse } from 'node:http';
import { createNodeHandlers } from './adapters/node-http.js';
import { type ClientInfo, createFetchHandler } from './adapters/web.js';
import { createBoundedLoadStrategy } from './consistent-hash.js';
import { type HealthOptions, type NodeStatus, resolveHealth } from './health.js';
import type { NodeSpec } from './node.js';
import { NodeRegistry } from './node-registry.js';
import { createRouter, type ResolveJob } from './router.js';
import type { BalancingStrategy } from './strategy.js';
import { createTargetParser } from './target.js';
import { type JobTraffic, TrafficMeter } from './traffic.js';

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /** The nodes requests may go to. More can be added later with {@link Gateway.addNode}. */
  nodes: readonly NodeSpec[];
  resolveJob: ResolveJob;
  /** Balancing strategy. Default {@link createBoundedLoadStrategy} with ε = 0.25, r = 1. */
  strategy?: BalancingStrategy;
  /** Enables host-based endpoints `{jobId}.{domain}`; path-based `/{jobId}/…` always works. */
  domain?: string;
  /** How long a node may take to send response headers, in ms. Default 30000. */
  timeoutMs?: number;
  /** Body limit for jobs that do not state one, in bytes. Default 10 MiB. */
  maxBodyBytes?: number;
  /** `Retry-After` seconds when nothing says better (resolver failure, no node at all). Default 1. */
  retryAfterSeconds?: number;
  health?: HealthOptions;
}

/** The router. See {@link createGateway}. */
export interface Gateway {
  /** Routes a web-standard request. Never rejects: failures are answered as JSON errors. */
  fetch(request: Request, client?: ClientInfo): Promise<Response>;
  /** A node:http request listener: `http.createServer(gateway.handleNode)`. */
  readonly handleNode: (req: IncomingMessage, res: ServerResponse) => void;
  /** Connect/Express-style middleware: handles `/{jobId}/…` and `{jobId}.{domain}`, passes anything else to `next`. */
  readonly middleware: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
  /** Traffic per job since the start or the last {@link Gateway.takeUsage}. */
  usage(): Map<string, JobTraffic>;
  /** Returns the usage and resets the counters (for one usage-report period). */
  takeUsage(): Map<string, JobTraffic>;
  /** Load and health of every node. */
  nodes(): NodeStatus[];
  /** @throws {TypeError} on a malformed spec or a duplicate id */
  addNode(spec: NodeSpec): void;
  /** Removes a node (its connections close once idle). @returns whether it existed */
  removeNode(id: string): Promise<boolean>;
  /** Stops health checks and closes every connection pool. */
  close(): Promise<void>;
}

function checkPositiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}.`);
  return value;
}

/**
 * Creates the gateway: routes each request for a job to one of its nodes (affinity with bounded load by
 * default), with health checks, ejection and one retry of idempotent requests on another node.
 *
 * @throws {TypeError} when `resolveJob` is not a function or a node spec is malformed or duplicated
 * @throws {RangeError} when a number option is out of range
 * @example
 * ```ts
 * const gateway = createGateway({
 *   nodes: [{ id: 'local', handler: async () => new Response('hello') }],
 *   resolveJob: (jobId) => (jobId === '42' ? { status: 'active' } : undefined),
 * });
 * const response = await gateway.fetch(new Request('http://gateway.test/42/hi'));
 * await response.text(); // 'hello'
 * ```
 */
export function createGateway(options: GatewayOptions): Gateway {
  if (typeof options?.resolveJob !== 'function') throw new TypeError('options.resolveJob must be a function.');
  if (!Array.isArray(options.nodes)) throw new TypeError('options.nodes must be an array of node specs.');
  if (options.domain !== undefined && (typeof options.domain !== 'string' || options.domain === '')) {
    throw new TypeError('options.domain must be a non-empty string.');
  }
  const strategy = options.strategy ?? createBoundedLoadStrategy();
  if (typeof strategy.choose !== 'function') throw new TypeError('options.strategy must have a choose function.');
  const timeoutMs = checkPositiveInteger('timeoutMs', options.timeoutMs ?? 30_000);
  const defaultBodyLimit = checkPositiveInteger('maxBodyBytes', options.maxBodyBytes ?? 10 * 1024 * 1024);
  const retryAfterSeconds = checkPositiveInteger('retryAfterSeconds', options.retryAfterSeconds ?? 1);
  const registry = new NodeRegistry(resolveHealth(options.health));
  for (const spec of options.nodes) registry.add(spec);
  registry.startHealthChecks();

  const traffic = new TrafficMeter();
  const route = createRouter({
    resolveJob: options.resolveJob,
    strategy,
    nodes: registry,
    traffic,
    timeoutMs,
    defaultBodyLimit,
    retryAfterSeconds,
  });
  const parseTarget = createTargetParser(options.domain);
  const { handleNode, middleware } = createNodeHandlers(route, parseTarget);

  return {
    fetch: createFetchHandler(route, parseTarget),
    handleNode,
    middleware,
    usage: () => traffic.snapshot(),
    takeUsage: () => traffic.take(),
    nodes: () => registry.statuses(),
    addNode: (spec) => registry.add(spec),
    removeNode: (id) => registry.remove(id),
    close: () => registry.close(),
  };
}

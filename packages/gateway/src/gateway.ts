import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { Cancel } from './cancel.js';
import { createBoundedLoadStrategy } from './consistent-hash.js';
import {
  BodyTooLargeError,
  errorBody,
  GatewayError,
  JobCancelledError,
  JobExhaustedError,
  NoNodeError,
  ResolveFailedError,
  UnknownJobError,
  UpstreamFailedError,
  UpstreamTimeoutError,
} from './errors.js';
import {
  checkFraming,
  forwardHeaders,
  type HeaderRecord,
  responseHeaderList,
  stripResponseHeaders,
} from './headers.js';
import { type HealthOptions, NodeRecord, type NodeStatus, resolveHealth } from './health.js';
import { createUpstream, type Inbound, type NodeSpec, type Outbound, type SendFailure } from './node.js';
import type { BalancingStrategy } from './strategy.js';

/** What `resolveJob` says about a job. */
export interface JobInfo {
  status: 'active' | 'exhausted' | 'cancelled' | 'unknown';
  /** Ids of the nodes that may serve the job (registered with the gateway). Default: every node. */
  nodes?: readonly string[];
  /** Largest request body in bytes. Default: the gateway's `maxBodyBytes`. */
  maxBodyBytes?: number;
}

/** Looks a job up (from the chain, a cache, or a test table). `undefined` means unknown. */
export type ResolveJob = (jobId: string) => JobInfo | undefined | Promise<JobInfo | undefined>;

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

/** Per-job traffic counters. */
export interface JobUsage {
  /** Requests forwarded to a node (retries not counted twice). */
  requests: number;
  /** Request body bytes forwarded. */
  bytesIn: number;
  /** Response body bytes sent to clients. */
  bytesOut: number;
}

/** Client facts the web-standard `fetch` cannot see by itself. */
export interface ClientInfo {
  remoteAddress?: string;
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
  usage(): Map<string, JobUsage>;
  /** Returns the usage and resets the counters (for one usage-report period). */
  takeUsage(): Map<string, JobUsage>;
  /** Load and health of every node. */
  nodes(): NodeStatus[];
  /** @throws {TypeError} on a malformed spec or a duplicate id */
  addNode(spec: NodeSpec): void;
  /** Removes a node (its connections close once idle). @returns whether it existed */
  removeNode(id: string): Promise<boolean>;
  /** Stops health checks and closes every connection pool. */
  close(): Promise<void>;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);
const JOB_ID = /^[A-Za-z0-9_-]{1,128}$/;
const EMPTY = new Uint8Array(0);

interface Target {
  jobId: string;
  path: string;
  prefix: string | undefined;
}

/** A routed request with the chosen node, whose in-flight count must be released when the body ends. */
interface Routed {
  inbound: Inbound;
  node: NodeRecord;
  usage: JobUsage;
}

/** Front-end neutral view of one incoming request. */
interface Incoming {
  method: string;
  host: string | undefined;
  headers: HeaderRecord;
  contentLength: string | string[] | undefined;
  transferEncoding: string | string[] | undefined;
  clientAddress: string | undefined;
  protocol: string;
  readBody: (limit: number, jobId: string) => Promise<Uint8Array>;
  cancel: Cancel;
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
  const resolveJob = options.resolveJob;
  const strategy = options.strategy ?? createBoundedLoadStrategy();
  if (typeof strategy.choose !== 'function') throw new TypeError('options.strategy must have a choose function.');
  const timeoutMs = checkPositiveInteger('timeoutMs', options.timeoutMs ?? 30_000);
  const defaultBodyLimit = checkPositiveInteger('maxBodyBytes', options.maxBodyBytes ?? 10 * 1024 * 1024);
  const retryAfter = checkPositiveInteger('retryAfterSeconds', options.retryAfterSeconds ?? 1);
  const health = resolveHealth(options.health);
  const hostSuffix = options.domain === undefined ? undefined : `.${options.domain.toLowerCase()}`;

  const records = new Map<string, NodeRecord>();
  let allNodes: NodeRecord[] = [];
  // Candidate arrays are memoized so a strategy sees the same array for the same node set (its ring cache).
  let byArray = new WeakMap<readonly string[], NodeRecord[]>();
  let byKey = new Map<string, NodeRecord[]>();
  let meters = new Map<string, JobUsage>();
  let closed = false;

  function rebuild(): void {
    allNodes = [...records.values()];
    byArray = new WeakMap();
    byKey = new Map();
  }

  function addNode(spec: NodeSpec): void {
    if (typeof spec?.id !== 'string' || spec.id === '') throw new TypeError('A node needs a non-empty string id.');
    if (records.has(spec.id)) throw new TypeError(`Node ${spec.id} is already registered.`);
    records.set(spec.id, new NodeRecord(spec.id, createUpstream(spec), health));
    rebuild();
  }
  for (const spec of options.nodes) addNode(spec);

  const checkTimer =
    health.intervalMs > 0
      ? setInterval(() => {
          for (const node of allNodes) void node.activeCheck();
        }, health.intervalMs)
      : undefined;
  checkTimer?.unref();

  function candidatesOf(ids: readonly string[] | undefined): NodeRecord[] {
    if (ids === undefined) return allNodes;
    let nodes = byArray.get(ids);
    if (nodes !== undefined) return nodes;
    const key = ids.join('\u0000');
    nodes = byKey.get(key);
    if (nodes === undefined) {
      nodes = [];
      for (const id of ids) {
        const node = records.get(id);
        if (node !== undefined) nodes.push(node);
      }
      if (byKey.size >= 4096) byKey.clear();
      byKey.set(key, nodes);
    }
    byArray.set(ids, nodes);
    return nodes;
  }

  function meterOf(jobId: string): JobUsage {
    let usage = meters.get(jobId);
    if (usage === undefined) {
      usage = { requests: 0, bytesIn: 0, bytesOut: 0 };
      meters.set(jobId, usage);
    }
    return usage;
  }

  /** Splits `/{jobId}/rest?query` or `{jobId}.{domain}` into the job and the path the node sees. */
  function targetOf(host: string | undefined, url: string): Target | undefined {
    if (hostSuffix !== undefined && host !== undefined) {
      const colon = host.lastIndexOf(':');
      const name = (colon > host.lastIndexOf(']') ? host.slice(0, colon) : host).toLowerCase();
      if (name.endsWith(hostSuffix)) {
        const jobId = name.slice(0, -hostSuffix.length);
        if (JOB_ID.test(jobId)) return { jobId, path: url, prefix: undefined };
      }
    }
    if (url.charCodeAt(0) !== 47 /* / */) return undefined;
    let end = 1;
    while (end < url.length) {
      const code = url.charCodeAt(end);
      if (code === 47 || code === 63 /* ? */) break;
      end++;
    }
    const jobId = url.slice(1, end);
    if (!JOB_ID.test(jobId)) return undefined;
    const rest = url.slice(end);
    return { jobId, path: rest === '' || rest.charCodeAt(0) === 63 ? `/${rest}` : rest, prefix: `/${jobId}` };
  }

  function noNode(jobId: string, nodes: readonly NodeRecord[]): NoNodeError {
    let soonest = Number.POSITIVE_INFINITY;
    for (const node of nodes)
      if (!node.available && node.ejectedUntil > 0) soonest = Math.min(soonest, node.ejectedUntil);
    const seconds = Number.isFinite(soonest) ? Math.max(1, Math.ceil((soonest - Date.now()) / 1000)) : retryAfter;
    return new NoNodeError(jobId, seconds);
  }

  /**
   * Everything from the job lookup to the node's response headers; rejects with a GatewayError. Written as
   * plain promise chains, not async functions: on the hot path (sync resolveJob, no body) it costs one
   * promise hop beyond undici's own.
   */
  function route(incoming: Incoming, target: Target): Promise<Routed> {
    try {
      const declared = checkFraming(incoming.contentLength, incoming.transferEncoding);
      let answer: ReturnType<ResolveJob>;
      try {
        answer = resolveJob(target.jobId);
      } catch (cause) {
        throw new ResolveFailedError(target.jobId, retryAfter, { cause });
      }
      if (answer !== undefined && typeof (answer as Promise<unknown>).then === 'function') {
        return (answer as Promise<JobInfo | undefined>).then(
          (info) => afterLookup(incoming, target, declared, info),
          (cause: unknown) => {
            throw new ResolveFailedError(target.jobId, retryAfter, { cause });
          },
        );
      }
      return afterLookup(incoming, target, declared, answer as JobInfo | undefined);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  function afterLookup(
    incoming: Incoming,
    target: Target,
    declared: number | undefined,
    info: JobInfo | undefined,
  ): Promise<Routed> {
    const { jobId } = target;
    if (info === undefined || info.status === 'unknown') throw new UnknownJobError(jobId);
    if (info.status === 'exhausted') throw new JobExhaustedError(jobId);
    if (info.status === 'cancelled') throw new JobCancelledError(jobId);
    if (info.status !== 'active') {
      throw new ResolveFailedError(jobId, retryAfter, { details: `resolveJob returned status ${String(info.status)}` });
    }
    const limit = info.maxBodyBytes ?? defaultBodyLimit;
    if (declared !== undefined && declared > limit) throw new BodyTooLargeError(jobId, limit);
    const nodes = candidatesOf(info.nodes);
    const first = strategy.choose(jobId, nodes) as NodeRecord | undefined;
    if (first === undefined) throw noNode(jobId, nodes);
    const hasBody = declared !== undefined ? declared > 0 : incoming.transferEncoding !== undefined;
    if (hasBody) {
      return incoming.readBody(limit, jobId).then((body) => forward(incoming, target, nodes, first, body));
    }
    return forward(
      incoming,
      target,
      nodes,
      first,
      incoming.method === 'GET' || incoming.method === 'HEAD' ? null : EMPTY,
    );
  }

  function forward(
    incoming: Incoming,
    target: Target,
    nodes: readonly NodeRecord[],
    first: NodeRecord,
    body: Uint8Array | null,
  ): Promise<Routed> {
    const { jobId } = target;
    const outbound: Outbound = {
      method: incoming.method,
      path: target.path,
      headers: forwardHeaders(incoming.headers, {
        jobId,
        clientAddress: incoming.clientAddress,
        protocol: incoming.protocol,
        host: incoming.host,
        prefix: target.prefix,
      }),
      body,
      host: incoming.host,
    };
    const usage = meterOf(jobId);
    usage.requests++;
    usage.bytesIn += body === null ? 0 : body.byteLength;

    const attempt = (node: NodeRecord, count: number): Promise<Routed> => {
      node.inFlight++;
      return node.upstream.send(outbound, timeoutMs, incoming.cancel).then(
        (inbound) => {
          node.succeeded();
          return { inbound, node, usage };
        },
        (error: SendFailure) => {
          node.inFlight--;
          if (error.kind !== 'aborted') node.failed();
          if (error.kind === 'timeout') throw new UpstreamTimeoutError(node.id, timeoutMs, { cause: error.cause });
          const retryable =
            error.kind === 'connect' ||
            IDEMPOTENT.has(incoming.method) ||
            outbound.headers['idempotency-key'] !== undefined;
          const next =
            count === 1 && retryable && error.kind !== 'aborted' ? strategy.choose(jobId, nodes, node.id) : undefined;
          if (next === undefined) {
            const reason = count > 1 ? 'retry-failed' : retryable ? 'no-other-node' : 'not-idempotent';
            throw new UpstreamFailedError(node.id, reason, { cause: error.cause, details: `node ${node.id}` });
          }
          return attempt(next as NodeRecord, count + 1);
        },
      );
    };
    return attempt(first, 1);
  }

  function releaseOnce(node: NodeRecord): () => void {
    let released = false;
    return () => {
      if (!released) {
        released = true;
        node.inFlight--;
      }
    };
  }

  // ---- web-standard front end ----

  async function readWebBody(request: Request, limit: number, jobId: string): Promise<Uint8Array> {
    if (request.body === null) return EMPTY;
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > limit) {
        await request.body.cancel().catch(() => {});
        throw new BodyTooLargeError(jobId, limit);
      }
      chunks.push(chunk);
    }
    return concat(chunks, size);
  }

  function errorResponse(error: unknown): Response {
    const known =
      error instanceof GatewayError ? error : new UpstreamFailedError(undefined, 'internal', { cause: error });
    return new Response(errorBody(known), {
      status: known.status,
      headers: { 'content-type': 'application/json', ...known.headers() },
    });
  }

  async function fetchHandler(request: Request, client?: ClientInfo): Promise<Response> {
    try {
      const url = new URL(request.url);
      const host = request.headers.get('host') ?? url.host;
      const target = targetOf(host, url.pathname + url.search);
      if (target === undefined) throw new UnknownJobError(undefined);
      const cancel = new Cancel();
      if (request.signal.aborted) cancel.abort(request.signal.reason);
      else request.signal.addEventListener('abort', () => cancel.abort(request.signal.reason), { once: true });
      const requestHeaders: HeaderRecord = {};
      for (const [name, value] of request.headers) requestHeaders[name] = value;
      const incoming: Incoming = {
        method: request.method,
        host,
        headers: requestHeaders,
        contentLength: request.headers.get('content-length') ?? undefined,
        transferEncoding: request.headers.get('transfer-encoding') ?? undefined,
        clientAddress: client?.remoteAddress,
        protocol: url.protocol.slice(0, -1),
        readBody: (limit, jobId) => readWebBody(request, limit, jobId),
        cancel,
      };
      // A web Request with a body but no framing header (a stream) still has a body to read.
      if (request.body !== null && incoming.contentLength === undefined && incoming.transferEncoding === undefined) {
        incoming.transferEncoding = 'chunked';
      }
      const { inbound, node, usage } = await route(incoming, target);
      const release = releaseOnce(node);
      const headers = new Headers();
      try {
        for (const [name, value] of Object.entries(stripResponseHeaders(inbound.headers))) {
          if (value === undefined) continue;
          if (Array.isArray(value)) for (const item of value) headers.append(name, item);
          else headers.set(name, value);
        }
      } catch (error) {
        discard(inbound.body);
        release();
        throw new UpstreamFailedError(node.id, 'bad-response', { cause: error });
      }
      const nullBody = request.method === 'HEAD' || inbound.status === 204 || inbound.status === 304;
      if (inbound.body === null || nullBody) {
        discard(inbound.body);
        release();
        return new Response(null, { status: inbound.status, headers });
      }
      return new Response(countedStream(inbound.body, usage, release), { status: inbound.status, headers });
    } catch (error) {
      return errorResponse(error);
    }
  }

  // ---- node:http front end ----

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
    const known =
      error instanceof GatewayError ? error : new UpstreamFailedError(undefined, 'internal', { cause: error });
    if (res.destroyed) return;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = errorBody(known);
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...known.headers(),
    };
    // An unread request body would otherwise be drained (413) or desynchronize the connection (400).
    if (closeConnection) headers.connection = 'close';
    res.writeHead(known.status, headers);
    res.end(body);
  }

  function serveNode(req: IncomingMessage, res: ServerResponse, target: Target): void {
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
      ({ inbound, node, usage }) => {
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
          usage.bytesOut += chunk.length;
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

  const handleNode = (req: IncomingMessage, res: ServerResponse): void => {
    const target = targetOf(req.headers.host, req.url ?? '/');
    if (target === undefined) {
      writeError(res, new UnknownJobError(undefined), !req.complete);
      return;
    }
    serveNode(req, res, target);
  };

  const middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void => {
    const target = targetOf(req.headers.host, req.url ?? '/');
    if (target === undefined) next();
    else serveNode(req, res, target);
  };

  return {
    fetch: fetchHandler,
    handleNode,
    middleware,
    usage: () => new Map([...meters].map(([jobId, usage]) => [jobId, { ...usage }])),
    takeUsage() {
      const taken = meters;
      meters = new Map();
      return taken;
    },
    nodes: () => allNodes.map((node) => node.status()),
    addNode(spec) {
      if (closed) throw new TypeError('The gateway is closed.');
      addNode(spec);
    },
    async removeNode(id) {
      const node = records.get(id);
      if (node === undefined) return false;
      records.delete(id);
      rebuild();
      await node.close();
      return true;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(checkTimer);
      await Promise.all(allNodes.map((node) => node.close()));
    },
  };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return joined;
}

function discard(body: Inbound['body']): void {
  if (body === null) return;
  if (body instanceof Readable) body.resume();
  else void body.cancel().catch(() => {});
}

/** A web stream over the node's body that meters bytes and releases the node's slot when it ends. */
function countedStream(source: Readable | ReadableStream<Uint8Array>, usage: JobUsage, release: () => void) {
  const iterator = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await iterator.next();
        if (done) {
          release();
          controller.close();
          return;
        }
        usage.bytesOut += value.byteLength;
        controller.enqueue(value);
      } catch (error) {
        release();
        controller.error(error);
      }
    },
    async cancel() {
      release();
      await iterator.return?.();
    },
  });
}

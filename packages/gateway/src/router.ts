import { Readable } from 'node:stream';
import type { Cancel } from './cancel.js';
import {
  BodyTooLargeError,
  JobCancelledError,
  JobExhaustedError,
  NoNodeError,
  NoSuchJobError,
  ResolveFailedError,
  UpstreamFailedError,
  UpstreamTimeoutError,
} from './errors.js';
import { checkFraming, forwardHeaders, type HeaderRecord } from './headers.js';
import type { NodeRecord } from './health.js';
import type { Inbound, Outbound, SendFailure } from './node.js';
import type { NodeRegistry } from './node-registry.js';
import type { BalancingStrategy } from './strategy.js';
import type { Target } from './target.js';
import type { JobTraffic, TrafficMeter } from './traffic.js';

/** What `resolveJob` says about a job. */
export interface ResolvedJob {
  status: 'active' | 'exhausted' | 'cancelled' | 'unknown';
  /** Ids of the nodes that may serve the job (registered with the gateway). Default: every node. */
  nodes?: readonly string[];
  /** Largest request body in bytes. Default: the gateway's `maxBodyBytes`. */
  maxBodyBytes?: number;
}

/** Looks a job up (from the chain, a cache, or a test table). `undefined` means unknown. */
export type ResolveJob = (jobId: string) => ResolvedJob | undefined | Promise<ResolvedJob | undefined>;

/** Front-end neutral view of one incoming request: what an adapter gives the router. */
export interface Incoming {
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

/** A routed request with the chosen node, whose in-flight count must be released when the body ends. */
export interface Routed {
  inbound: Inbound;
  node: NodeRecord;
  traffic: JobTraffic;
}

/**
 * Everything from the job lookup to the node's response headers; rejects with a GatewayError. The routing core
 * every adapter calls.
 */
export type Route = (incoming: Incoming, target: Target) => Promise<Routed>;

/** The checked settings of {@link createRouter}. */
export interface RouterSettings {
  resolveJob: ResolveJob;
  strategy: BalancingStrategy;
  nodes: NodeRegistry;
  traffic: TrafficMeter;
  timeoutMs: number;
  defaultBodyLimit: number;
  retryAfterSeconds: number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

/** The empty body of a request that declares none but has a method that carries one. */
export const EMPTY = new Uint8Array(0);

/**
 * The routing core: job lookup, body limit, node choice, and one retry of an idempotent request on another node.
 * Written as plain promise chains, not async functions: on the hot path (sync resolveJob, no body) it costs one
 * promise hop beyond undici's own.
 */
export function createRouter(settings: RouterSettings): Route {
  const { resolveJob, strategy, nodes: registry, traffic: meter, timeoutMs, defaultBodyLimit } = settings;
  const retryAfter = settings.retryAfterSeconds;

  function noNode(jobId: string, nodes: readonly NodeRecord[]): NoNodeError {
    let soonest = Number.POSITIVE_INFINITY;
    for (const node of nodes)
      if (!node.available && node.ejectedUntil > 0) soonest = Math.min(soonest, node.ejectedUntil);
    const seconds = Number.isFinite(soonest) ? Math.max(1, Math.ceil((soonest - Date.now()) / 1000)) : retryAfter;
    return new NoNodeError(jobId, seconds);
  }

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
        return (answer as Promise<ResolvedJob | undefined>).then(
          (job) => afterLookup(incoming, target, declared, job),
          (cause: unknown) => {
            throw new ResolveFailedError(target.jobId, retryAfter, { cause });
          },
        );
      }
      return afterLookup(incoming, target, declared, answer as ResolvedJob | undefined);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  function afterLookup(
    incoming: Incoming,
    target: Target,
    declared: number | undefined,
    job: ResolvedJob | undefined,
  ): Promise<Routed> {
    const { jobId } = target;
    if (job === undefined || job.status === 'unknown') throw new NoSuchJobError(jobId);
    if (job.status === 'exhausted') throw new JobExhaustedError(jobId);
    if (job.status === 'cancelled') throw new JobCancelledError(jobId);
    if (job.status !== 'active') {
      throw new ResolveFailedError(jobId, retryAfter, { details: `resolveJob returned status ${String(job.status)}` });
    }
    const limit = job.maxBodyBytes ?? defaultBodyLimit;
    if (declared !== undefined && declared > limit) throw new BodyTooLargeError(jobId, limit);
    const nodes = registry.candidates(job.nodes);
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
    const traffic = meter.of(jobId);
    traffic.requests++;
    traffic.bytesIn += body === null ? 0 : body.byteLength;

    const attempt = (node: NodeRecord, count: number): Promise<Routed> => {
      node.inFlight++;
      return node.upstream.send(outbound, timeoutMs, incoming.cancel).then(
        (inbound) => {
          node.succeeded();
          return { inbound, node, traffic };
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

  return route;
}

/** A release of the node's in-flight slot that runs at most once (the body may end, fail and close). */
export function releaseOnce(node: NodeRecord): () => void {
  let released = false;
  return () => {
    if (!released) {
      released = true;
      node.inFlight--;
    }
  };
}

/** Drops a node's answer body that will not be forwarded, so its connection can be reused. */
export function discard(body: Inbound['body']): void {
  if (body === null) return;
  if (body instanceof Readable) body.resume();
  else void body.cancel().catch(() => {});
}

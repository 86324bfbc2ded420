import { RpcError, RpcUnreachableError } from './errors.js';

/** One JSON-RPC request. */
export interface RpcRequest {
  method: string;
  params: readonly unknown[];
}

/** The JSON-RPC error object of a failed request (`data` carries revert bytes for `eth_call`). */
export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** The outcome of one request of a batch. */
export type RpcOutcome = { ok: true; value: unknown } | { ok: false; error: RpcErrorObject };

/** The minimal EIP-1193 provider (`window.ethereum`, a wallet SDK, or any `{ request }` object). */
export interface Eip1193Provider {
  request(args: { method: string; params?: readonly unknown[] | object }): Promise<unknown>;
}

/** Counters of what a transport sent: JSON-RPC calls and transport round trips (HTTP requests, or wallet requests). */
export interface TransportStats {
  rpcCalls: number;
  requests: number;
}

/**
 * Sends batches of JSON-RPC requests. Over HTTP a batch is one POST (a JSON-RPC batch array, split in chunks
 * of `maxBatchSize`); over EIP-1193 it is one `request` per call, in parallel.
 */
export interface Transport {
  readonly kind: 'http' | 'eip1193';
  readonly stats: TransportStats;
  /** @throws {RpcUnreachableError} when the endpoint does not answer; per-call JSON-RPC errors come back as outcomes. */
  send(batch: readonly RpcRequest[]): Promise<RpcOutcome[]>;
}

/** Options of {@link createTransport}. */
export interface TransportOptions {
  /** Milliseconds before an HTTP request is abandoned (default 15 000). */
  timeoutMs?: number;
  /** Calls per HTTP JSON-RPC batch (default 100; some providers cap batches lower). */
  maxBatchSize?: number;
}

// EIP-1193 codes for a wallet that lost its chain: the endpoint is unreachable, not refusing.
const DISCONNECTED_CODES = new Set([4900, 4901]);

function isErrorObject(value: unknown): value is RpcErrorObject {
  return typeof value === 'object' && value !== null && typeof (value as RpcErrorObject).code === 'number';
}

function httpTransport(url: string, timeoutMs: number, maxBatchSize: number): Transport {
  const stats: TransportStats = { rpcCalls: 0, requests: 0 };
  let nextId = 1;
  async function post(chunk: readonly RpcRequest[]): Promise<RpcOutcome[]> {
    const ids = chunk.map(() => nextId++);
    const payload = chunk.map((request, index) => ({
      jsonrpc: '2.0',
      id: ids[index],
      method: request.method,
      params: request.params,
    }));
    stats.requests += 1;
    stats.rpcCalls += chunk.length;
    let body: unknown;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload.length === 1 ? payload[0] : payload),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) {
        throw new Error(`HTTP ${response.status} ${response.statusText}`);
      }
      body = await response.json();
    } catch (error) {
      throw new RpcUnreachableError({ cause: error, details: `${url}: ${(error as Error)?.message ?? String(error)}` });
    }
    const answers = Array.isArray(body) ? body : [body];
    const byId = new Map<unknown, { result?: unknown; error?: unknown }>();
    for (const answer of answers) {
      if (typeof answer === 'object' && answer !== null) byId.set((answer as { id?: unknown }).id, answer);
    }
    return ids.map((id) => {
      const answer = byId.get(id) ?? (answers.length === 1 && chunk.length === 1 ? answers[0] : undefined);
      if (!answer) throw new RpcError(undefined, { details: `${url} sent no answer for request ${id}` });
      if (answer.error !== undefined) {
        if (isErrorObject(answer.error)) return { ok: false, error: answer.error };
        throw new RpcError(undefined, { details: `${url} sent a malformed error: ${JSON.stringify(answer.error)}` });
      }
      return { ok: true, value: answer.result };
    });
  }
  return {
    kind: 'http',
    stats,
    async send(batch) {
      const chunks: RpcRequest[][] = [];
      for (let start = 0; start < batch.length; start += maxBatchSize) {
        chunks.push(batch.slice(start, start + maxBatchSize));
      }
      return (await Promise.all(chunks.map(post))).flat();
    },
  };
}

function eip1193Transport(ethereum: Eip1193Provider): Transport {
  const stats: TransportStats = { rpcCalls: 0, requests: 0 };
  return {
    kind: 'eip1193',
    stats,
    async send(batch) {
      stats.rpcCalls += batch.length;
      stats.requests += batch.length;
      return Promise.all(
        batch.map(async (request): Promise<RpcOutcome> => {
          try {
            return { ok: true, value: await ethereum.request({ method: request.method, params: [...request.params] }) };
          } catch (error) {
            if (isErrorObject(error) && !DISCONNECTED_CODES.has(error.code)) {
              // Wallets put revert bytes in `data` or `data.data` (MetaMask wraps the node's error).
              const data = (error.data as { data?: unknown } | undefined)?.data ?? error.data;
              return { ok: false, error: { code: error.code, message: error.message, data } };
            }
            throw new RpcUnreachableError({ cause: error, details: (error as Error)?.message });
          }
        }),
      );
    },
  };
}

/**
 * Makes a transport from an HTTP(S) JSON-RPC URL or an EIP-1193 provider. Uses only `fetch`: no Node built-ins.
 *
 * @throws {TypeError} when `rpc` is neither; {@link RangeError} for bad options.
 * @example
 * ```ts
 * const transport = createTransport('http://127.0.0.1:8545');
 * const [outcome] = await transport.send([{ method: 'eth_chainId', params: [] }]);
 * ```
 */
export function createTransport(rpc: string | Eip1193Provider, options: TransportOptions = {}): Transport {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxBatchSize = options.maxBatchSize ?? 100;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive number.');
  if (!Number.isSafeInteger(maxBatchSize) || maxBatchSize < 1)
    throw new RangeError('maxBatchSize must be a positive integer.');
  if (typeof rpc === 'string') {
    if (!/^https?:\/\//i.test(rpc)) throw new TypeError(`rpc must be an http(s) URL, got "${rpc}".`);
    return httpTransport(rpc, timeoutMs, maxBatchSize);
  }
  if (typeof rpc === 'object' && rpc !== null && typeof rpc.request === 'function') return eip1193Transport(rpc);
  throw new TypeError('rpc must be an http(s) JSON-RPC URL or an EIP-1193 provider (an object with request()).');
}

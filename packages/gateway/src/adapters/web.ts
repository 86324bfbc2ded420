import type { Readable } from 'node:stream';
import { Cancel } from '../cancel.js';
import { errorAnswer } from '../error-answer.js';
import { BodyTooLargeError, NoSuchJobError, UpstreamFailedError } from '../errors.js';
import { type HeaderRecord, stripResponseHeaders } from '../headers.js';
import { discard, EMPTY, type Incoming, type Route, releaseOnce } from '../router.js';
import type { ParseTarget } from '../target.js';
import type { JobTraffic } from '../traffic.js';

/** Client facts the web-standard `fetch` cannot see by itself. */
export interface ClientInfo {
  remoteAddress?: string;
}

/** A web-standard handler: `fetch(Request) => Promise<Response>` that never rejects. */
export type FetchHandler = (request: Request, client?: ClientInfo) => Promise<Response>;

/**
 * The web-standard front end: turns a `Request` into the router's {@link Incoming} and the routed answer into a
 * streaming `Response` that meters bytes out. Failures are answered as JSON errors.
 */
export function createFetchHandler(route: Route, parseTarget: ParseTarget): FetchHandler {
  return async (request, client) => {
    try {
      const url = new URL(request.url);
      const host = request.headers.get('host') ?? url.host;
      const target = parseTarget(host, url.pathname + url.search);
      if (target === undefined) throw new NoSuchJobError(undefined);
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
      const { inbound, node, traffic } = await route(incoming, target);
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
      return new Response(countedStream(inbound.body, traffic, release), { status: inbound.status, headers });
    } catch (error) {
      const answer = errorAnswer(error);
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    }
  };
}

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

/** A web stream over the node's body that meters bytes and releases the node's slot when it ends. */
function countedStream(source: Readable | ReadableStream<Uint8Array>, traffic: JobTraffic, release: () => void) {
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
        traffic.bytesOut += value.byteLength;
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

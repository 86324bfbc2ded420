/**
 * wasi:http 0.2 `types` and `outgoing-handler` for the proxy world, synchronous and fully buffered: the
 * request body is all there before the guest runs, the response body is collected until `finish`.
 * Outbound requests go through the main thread (a host call, like KV) and only to the job's allowed hosts;
 * anything else answers `HTTP-request-denied`.
 */
import { concatBytes } from '../concat-bytes.js';
import type { OutboundRequest, OutboundResponse } from '../threads/messages.js';
import type { HostCallClient } from './keyvalue-host.js';
import { type ByteSink, InputStream, OutputStream, Pollable } from './wasi-host.js';

type Method = { tag: string; val?: string };
type Scheme = { tag: 'HTTP' } | { tag: 'HTTPS' } | { tag: 'other'; val: string };
type HeaderError = { tag: 'invalid-syntax' } | { tag: 'forbidden' } | { tag: 'immutable' };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const STANDARD_METHODS = new Set(['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function toMethod(method: string): Method {
  const lower = method.toLowerCase();
  return STANDARD_METHODS.has(lower) ? { tag: lower } : { tag: 'other', val: method };
}

class Fields {
  #entries: [string, Uint8Array][] = [];
  #immutable = false;

  static fromList(entries: [string, Uint8Array][]): Fields {
    const fields = new Fields();
    for (const [name, value] of entries) fields.append(name, value);
    return fields;
  }

  /** @internal host side */
  static immutableFrom(entries: readonly [string, string][]): Fields {
    const fields = new Fields();
    fields.#entries = entries.map(([name, value]) => [name.toLowerCase(), encoder.encode(value)]);
    fields.#immutable = true;
    return fields;
  }

  #check(name: string): string {
    if (this.#immutable) throw { tag: 'immutable' } satisfies HeaderError;
    if (!TOKEN.test(name)) throw { tag: 'invalid-syntax' } satisfies HeaderError;
    return name.toLowerCase();
  }

  get(name: string): Uint8Array[] {
    const lower = name.toLowerCase();
    return this.#entries.filter(([key]) => key === lower).map(([, value]) => value);
  }
  has(name: string): boolean {
    const lower = name.toLowerCase();
    return this.#entries.some(([key]) => key === lower);
  }
  set(name: string, values: Uint8Array[]): void {
    const lower = this.#check(name);
    this.#entries = this.#entries.filter(([key]) => key !== lower);
    for (const value of values) this.#entries.push([lower, value]);
  }
  delete(name: string): void {
    const lower = this.#check(name);
    this.#entries = this.#entries.filter(([key]) => key !== lower);
  }
  append(name: string, value: Uint8Array): void {
    this.#entries.push([this.#check(name), value]);
  }
  entries(): [string, Uint8Array][] {
    return this.#entries.map(([name, value]) => [name, value]);
  }
  clone(): Fields {
    const fields = new Fields();
    fields.#entries = this.entries();
    return fields;
  }
  /** @internal host side */
  toPairs(): [string, string][] {
    return this.#entries.map(([name, value]) => [name, decoder.decode(value)]);
  }
}

class FutureTrailers {
  subscribe(): Pollable {
    return new Pollable();
  }
  get(): { tag: 'ok'; val: { tag: 'ok'; val: undefined } } {
    return { tag: 'ok', val: { tag: 'ok', val: undefined } };
  }
}

class IncomingBody {
  #stream: InputStream | undefined;
  constructor(bytes: Uint8Array) {
    this.#stream = new InputStream(bytes);
  }
  stream(): InputStream {
    const stream = this.#stream;
    if (stream === undefined) throw undefined;
    this.#stream = undefined;
    return stream;
  }
  static finish(_body: IncomingBody): FutureTrailers {
    return new FutureTrailers();
  }
}

/** The request as the guest sees it. */
export interface HttpRequestParts {
  method: string;
  url: string;
  headers: [string, string][];
  body: Uint8Array;
}

class IncomingRequest {
  readonly #parts: HttpRequestParts;
  readonly #url: URL;
  #consumed = false;
  constructor(parts: HttpRequestParts) {
    this.#parts = parts;
    this.#url = new URL(parts.url);
  }
  method(): Method {
    return toMethod(this.#parts.method);
  }
  pathWithQuery(): string | undefined {
    return this.#url.pathname + this.#url.search;
  }
  scheme(): Scheme | undefined {
    if (this.#url.protocol === 'http:') return { tag: 'HTTP' };
    if (this.#url.protocol === 'https:') return { tag: 'HTTPS' };
    return { tag: 'other', val: this.#url.protocol.slice(0, -1) };
  }
  authority(): string | undefined {
    return this.#url.host;
  }
  headers(): Fields {
    return Fields.immutableFrom(this.#parts.headers);
  }
  consume(): IncomingBody {
    if (this.#consumed) throw undefined;
    this.#consumed = true;
    return new IncomingBody(this.#parts.body);
  }
}

/** Collects a response body up to a limit. */
class BodyCollector implements ByteSink {
  chunks: Uint8Array[] = [];
  size = 0;
  overflow = false;
  /** Set once the response streams: chunks go out as they are written. */
  #sink: ((chunk: Uint8Array) => void) | undefined;
  constructor(readonly limit: number) {}
  write(bytes: Uint8Array): void {
    this.size += bytes.length;
    if (this.size > this.limit) {
      this.overflow = true;
      throw { tag: 'closed' };
    }
    if (this.#sink !== undefined) this.#sink(bytes.slice());
    else this.chunks.push(bytes.slice());
  }
  flush(): void {}
  /** Sends what was written so far, then every later write, to `sink`. */
  stream(sink: (chunk: Uint8Array) => void): void {
    for (const chunk of this.chunks) sink(chunk);
    this.chunks = [];
    this.#sink = sink;
  }
}

/** Receives a proxy-world response as the guest produces it. */
export interface ResponseStreamer {
  head(status: number, headers: [string, string][]): void;
  chunk(bytes: Uint8Array): void;
}

/** The streamer of the request being served, if it streams. */
let streamer: ResponseStreamer | undefined;

class OutgoingBody {
  #stream: OutputStream | undefined;
  finished = false;
  constructor(readonly collector: BodyCollector) {
    this.#stream = new OutputStream(collector);
  }
  write(): OutputStream {
    const stream = this.#stream;
    if (stream === undefined) throw undefined;
    this.#stream = undefined;
    return stream;
  }
  static finish(body: OutgoingBody): void {
    body.finished = true;
  }
}

/** The response limit of the request being served; set by the worker before each request. */
let responseLimit = Number.POSITIVE_INFINITY;

class OutgoingResponse {
  #status = 200;
  #body: OutgoingBody | undefined;
  readonly collector = new BodyCollector(responseLimit);
  constructor(readonly fields: Fields) {}
  statusCode(): number {
    return this.#status;
  }
  setStatusCode(status: number): void {
    if (status < 100 || status > 599) throw undefined;
    this.#status = status;
  }
  headers(): Fields {
    return this.fields;
  }
  body(): OutgoingBody {
    if (this.#body !== undefined) throw undefined;
    this.#body = new OutgoingBody(this.collector);
    return this.#body;
  }
}

class ResponseOutparam {
  result: { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: unknown } | undefined;
  streamed = false;
  static set(param: ResponseOutparam, result: ResponseOutparam['result']): void {
    param.result = result;
    // status and headers are final once set (wasi:http: the response's headers are immutable): send them now
    // and stream the body as it is written
    if (streamer !== undefined && result?.tag === 'ok') {
      const response = result.val;
      streamer.head(response.statusCode(), response.fields.toPairs());
      response.collector.stream(streamer.chunk);
      param.streamed = true;
    }
  }
}

class OutgoingRequest {
  readonly collector = new BodyCollector(8 << 20);
  #body: OutgoingBody | undefined;
  #method: Method = { tag: 'get' };
  #path: string | undefined;
  #scheme: Scheme | undefined;
  #authority: string | undefined;
  constructor(readonly fields: Fields) {}
  method(): Method {
    return this.#method;
  }
  setMethod(method: Method): void {
    this.#method = method;
  }
  pathWithQuery(): string | undefined {
    return this.#path;
  }
  setPathWithQuery(path: string | undefined): void {
    this.#path = path;
  }
  scheme(): Scheme | undefined {
    return this.#scheme;
  }
  setScheme(scheme: Scheme | undefined): void {
    this.#scheme = scheme;
  }
  authority(): string | undefined {
    return this.#authority;
  }
  setAuthority(authority: string | undefined): void {
    this.#authority = authority;
  }
  headers(): Fields {
    return this.fields;
  }
  body(): OutgoingBody {
    if (this.#body !== undefined) throw undefined;
    this.#body = new OutgoingBody(this.collector);
    return this.#body;
  }
  /** @internal host side */
  toOutbound(): OutboundRequest | undefined {
    const method = this.#method.tag === 'other' ? this.#method.val! : this.#method.tag.toUpperCase();
    const scheme =
      this.#scheme === undefined
        ? 'https'
        : this.#scheme.tag === 'other'
          ? this.#scheme.val
          : this.#scheme.tag.toLowerCase();
    if (this.#authority === undefined) return undefined;
    return {
      method,
      url: `${scheme}://${this.#authority}${this.#path ?? '/'}`,
      headers: this.fields.toPairs(),
      body: concatBytes(this.collector.chunks, this.collector.size),
    };
  }
}

class RequestOptions {
  #timeouts: Record<string, bigint | undefined> = {};
  connectTimeout(): bigint | undefined {
    return this.#timeouts.connect;
  }
  setConnectTimeout(value: bigint | undefined): void {
    this.#timeouts.connect = value;
  }
  firstByteTimeout(): bigint | undefined {
    return this.#timeouts.firstByte;
  }
  setFirstByteTimeout(value: bigint | undefined): void {
    this.#timeouts.firstByte = value;
  }
  betweenBytesTimeout(): bigint | undefined {
    return this.#timeouts.betweenBytes;
  }
  setBetweenBytesTimeout(value: bigint | undefined): void {
    this.#timeouts.betweenBytes = value;
  }
}

class IncomingResponse {
  readonly #response: OutboundResponse;
  #consumed = false;
  constructor(response: OutboundResponse) {
    this.#response = response;
  }
  status(): number {
    return this.#response.status;
  }
  headers(): Fields {
    return Fields.immutableFrom(this.#response.headers);
  }
  consume(): IncomingBody {
    if (this.#consumed) throw undefined;
    this.#consumed = true;
    return new IncomingBody(this.#response.body);
  }
}

type ErrorCode = { tag: string; val?: unknown };
type FutureValue = { tag: 'ok'; val: { tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: ErrorCode } };

/** The answer of an outbound request, fetched (through the main thread) when the guest first asks for it. */
class FutureIncomingResponse {
  #state: 'pending' | 'taken' = 'pending';
  constructor(readonly run: () => FutureValue) {}
  subscribe(): Pollable {
    return new Pollable();
  }
  get(): FutureValue | { tag: 'err'; val: undefined } {
    if (this.#state === 'taken') return { tag: 'err', val: undefined };
    this.#state = 'taken';
    return this.run();
  }
}

/** The response limit of outbound answers. */
const OUTBOUND_MAX_BYTES = 8 << 20;

/** The wasi:http import objects of one app: outbound requests only to `allowedHosts`, through `client`. */
export function createHttpImports(
  client: HostCallClient,
  allowedHosts: readonly string[],
): Record<string, Record<string, unknown>> {
  return {
    'wasi:http/types': httpTypes,
    'wasi:http/outgoing-handler': {
      handle(request: OutgoingRequest): FutureIncomingResponse {
        const target = request.toOutbound();
        if (target === undefined) throw { tag: 'HTTP-request-URI-invalid' } satisfies ErrorCode;
        const url = new URL(target.url);
        // checked again, authoritatively, on the main thread
        if (!allowedHosts.includes(url.host) && !allowedHosts.includes(url.hostname)) {
          throw { tag: 'HTTP-request-denied' } satisfies ErrorCode;
        }
        return new FutureIncomingResponse(() => {
          // read now: the guest writes the body after `handle` and before it waits for the answer
          const outbound = request.toOutbound()!;
          try {
            const response = client.call('http-fetch', '', [outbound]) as OutboundResponse;
            if (response.body.length > OUTBOUND_MAX_BYTES)
              return { tag: 'ok', val: { tag: 'err', val: { tag: 'HTTP-response-body-size' } } };
            return { tag: 'ok', val: { tag: 'ok', val: new IncomingResponse(response) } };
          } catch (error) {
            const message = (error as { val?: unknown }).val;
            return {
              tag: 'ok',
              val: { tag: 'err', val: { tag: typeof message === 'string' ? message : 'internal-error' } },
            };
          }
        });
      },
    },
  };
}

const httpTypes: Record<string, unknown> = {
  Fields,
  FutureIncomingResponse,
  FutureTrailers,
  IncomingBody,
  IncomingRequest,
  IncomingResponse,
  OutgoingBody,
  OutgoingRequest,
  OutgoingResponse,
  RequestOptions,
  ResponseOutparam,
  httpErrorCode: () => undefined,
};

/** What a proxy-world guest answered. */
export type HttpOutcome =
  | { kind: 'response'; status: number; headers: [string, string][]; body: Uint8Array; streamed: boolean }
  | { kind: 'too-large'; size: number }
  | { kind: 'no-response'; detail: string };

/**
 * Serves one request with a fresh proxy-world instance's `handle(request, response-out)`. With a streamer, the
 * head and the body chunks go to it as the guest produces them, and the outcome's body holds nothing more.
 */
export function serveHttp(
  handler: { handle(request: IncomingRequest, out: ResponseOutparam): void },
  parts: HttpRequestParts,
  maxResponseBytes: number,
  stream?: ResponseStreamer,
): HttpOutcome {
  responseLimit = maxResponseBytes;
  streamer = stream;
  const out = new ResponseOutparam();
  try {
    handler.handle(new IncomingRequest(parts), out);
  } finally {
    streamer = undefined;
  }
  const result = out.result;
  if (result === undefined) return { kind: 'no-response', detail: 'the app never set a response' };
  if (result.tag === 'err')
    return { kind: 'no-response', detail: `the app answered an error: ${JSON.stringify(result.val)}` };
  const response = result.val;
  const collector = response.collector;
  if (collector.overflow) return { kind: 'too-large', size: collector.size };
  // once streamed, the chunks left are none: what was streamed already went out
  const body = concatBytes(collector.chunks, out.streamed ? 0 : collector.size);
  return {
    kind: 'response',
    status: response.statusCode(),
    headers: response.fields.toPairs(),
    body,
    streamed: out.streamed,
  };
}

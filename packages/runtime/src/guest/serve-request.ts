/** How a guest worker answers one request: the guest runs synchronously, its answer or failure goes back metered. */
import { MuRuntimeError } from '../errors.js';
import type { FailureMessage, LogEntry, RequestMessage, RequestMeter, ResponseMessage } from '../threads/messages.js';
import { serveHttp } from './http-host.js';
import {
  apps,
  type GuestRequest,
  type GuestResponse,
  type Instantiate,
  instantiate,
  type LoadedApp,
  memoryBytes,
} from './loaded-apps.js';
import { refillSpares, requestPace, takeSpare } from './spares.js';
import { GuestExitError } from './wasi-host.js';
import { kv, send, sendResponse } from './worker-thread.js';

/** A proxy-world response larger than `maxResponseBytes`: thrown to {@link serve}'s failure path. */
class ResponseTooLargeError extends MuRuntimeError {
  override name = 'ResponseTooLargeError';
  constructor(readonly size: number) {
    super('RUNTIME_RESPONSE_TOO_LARGE', `the response body exceeds the limit (${size} bytes or more)`);
  }
}

/** A proxy-world guest that set no (valid) response: thrown to {@link serve}'s failure path. */
class NoResponseError extends MuRuntimeError {
  override name = 'NoResponseError';
  constructor(detail: string) {
    super('RUNTIME_BAD_RESPONSE', detail);
  }
}

function failure(
  message: RequestMessage,
  code: FailureMessage['code'],
  text: string,
  meter: RequestMeter,
  discarded: boolean,
  logs: LogEntry[],
): void {
  send({ type: 'failure', id: message.id, code, message: text, discarded, logs, ...meter });
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Ends the measurement of a guest call begun at `started`: flushes the guest's output, takes the KV wait time. */
function endMeter(app: LoadedApp, started: number, instantiated: boolean): RequestMeter {
  app.wasi.flush();
  const kvWaitMs = kv.takeWaitMs();
  return {
    busyMs: Math.max(0, performance.now() - started - kvWaitMs),
    kvWaitMs,
    memoryBytes: memoryBytes(app.instance),
    instantiated,
  };
}

/** Answers one request with its app (waiting only while the app's glue still loads). */
export async function handleRequest(message: RequestMessage): Promise<void> {
  const arrivedAt = performance.now();
  requestPace.lastGapMs = arrivedAt - requestPace.lastArrivalAt;
  requestPace.lastArrivalAt = arrivedAt;
  const app = apps.get(message.key);
  const zero = { busyMs: 0, kvWaitMs: 0, memoryBytes: 0, instantiated: false };
  if (app === undefined) {
    failure(message, 'RUNTIME_LOAD_FAILED', 'the app is not loaded on this worker', zero, false, []);
    return;
  }
  let instantiateGlue: Instantiate;
  try {
    // the warm path stays synchronous: await only while the glue is still loading
    instantiateGlue = app.glue ?? (await app.ready);
  } catch (error) {
    failure(message, 'RUNTIME_LOAD_FAILED', `loading the glue failed: ${describe(error)}`, zero, false, []);
    return;
  }
  app.logs = [];
  app.wasi.startRequest();
  kv.takeWaitMs();
  kv.inRequest = true;
  try {
    serve(message, app, instantiateGlue);
  } finally {
    kv.inRequest = false;
    requestPace.lastRequestEndedAt = performance.now();
  }
}

/** Runs the guest for one request and sends its answer. */
function serve(message: RequestMessage, app: LoadedApp, instantiateGlue: Instantiate): void {
  const started = performance.now();
  let instantiated = false;
  let response: GuestResponse & { streamed?: boolean };
  const request: GuestRequest = {
    method: message.method,
    url: message.url,
    headers: message.headers,
    body: message.body,
  };
  const http = app.load.world === 'wasi-http';
  try {
    if (http) {
      // a fresh instance per request: a pre-made spare, else one made now
      const spare = takeSpare(app);
      app.instance = spare ?? instantiate(app, instantiateGlue);
      instantiated = spare === undefined;
      const streamer = app.load.stream
        ? {
            head(status: number, headers: [string, string][]) {
              send({ type: 'response-head', id: message.id, status, headers });
            },
            chunk(chunk: Uint8Array) {
              send({ type: 'response-chunk', id: message.id, chunk }, [chunk.buffer as ArrayBuffer]);
            },
          }
        : undefined;
      const outcome = serveHttp(app.instance.incomingHandler!, request, app.load.maxResponseBytes, streamer);
      if (outcome.kind === 'too-large') {
        throw new ResponseTooLargeError(outcome.size);
      }
      if (outcome.kind === 'no-response') throw new NoResponseError(outcome.detail);
      response = outcome;
    } else {
      if (app.instance === undefined) {
        app.instance = instantiate(app, instantiateGlue);
        instantiated = true;
      }
      response = app.instance.handle!(request);
    }
  } catch (error) {
    const meter = endMeter(app, started, instantiated);
    // a trapped instance may hold broken state: never reuse it
    app.instance = undefined;
    if (http) refillSpares(app, instantiateGlue);
    if (error instanceof ResponseTooLargeError || error instanceof NoResponseError) {
      const code = error instanceof ResponseTooLargeError ? 'RUNTIME_RESPONSE_TOO_LARGE' : 'RUNTIME_BAD_RESPONSE';
      failure(message, code, error.message, meter, true, app.logs);
      return;
    }
    const memoryLimitHit =
      meter.memoryBytes >= app.load.maxMemoryBytes * 0.9 ||
      (error instanceof RangeError && /memory/i.test(error.message)) ||
      app.logs.some((entry) => /out of memory|memory allocation/i.test(entry.message));
    const code = memoryLimitHit ? 'RUNTIME_MEMORY_LIMIT' : 'RUNTIME_TRAP';
    const text =
      error instanceof GuestExitError
        ? error.message
        : memoryLimitHit
          ? `the guest ran out of its ${app.load.maxMemoryBytes} bytes of memory (${describe(error)})`
          : `the guest trapped: ${describe(error)}`;
    failure(message, code, text, meter, true, app.logs);
    return;
  }
  const meter = endMeter(app, started, instantiated);
  if (http) {
    // a proxy-world instance serves one request, whatever its answer
    app.instance = undefined;
    refillSpares(app, instantiateGlue);
  }
  const body = response.body;
  if (body.length > app.load.maxResponseBytes) {
    failure(
      message,
      'RUNTIME_RESPONSE_TOO_LARGE',
      `the response body of ${body.length} bytes exceeds the limit of ${app.load.maxResponseBytes}`,
      meter,
      false,
      app.logs,
    );
    return;
  }
  // the glue lifts list<u8> into a fresh buffer; copy only when it is a view of something larger
  const owned =
    body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer
      ? body
      : body.slice();
  const reply: ResponseMessage = {
    type: 'response',
    id: message.id,
    status: response.status,
    headers: response.headers,
    body: owned,
    logs: app.logs,
    streamed: response.streamed === true,
    ...meter,
  };
  if (reply.streamed) send(reply, [owned.buffer as ArrayBuffer]);
  else sendResponse(reply);
}

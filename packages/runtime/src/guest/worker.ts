/**
 * A guest worker: holds warm instances of apps and runs one request at a time, synchronously.
 * Started by the runtime; never imported by users.
 */
import { pathToFileURL } from 'node:url';
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import {
  AdaptiveSpin,
  FROM_WORKER,
  MAIN_PARKED,
  REQUEST_SLOT,
  RESPONSE_SLOT,
  SPIN_PREEMPTED,
  SPIN_READY,
  spinFor,
  TO_WORKER,
  WORKER_INSTANTIATING,
  WORKER_PARKED,
} from './channel.js';
import type {
  FailureMessage,
  LoadMessage,
  LogEntry,
  LogLevel,
  PortMessageFromWorker,
  PortMessageToWorker,
  RequestMessage,
  ResponseMessage,
  ToWorkerMessage,
  WorkerData,
} from './protocol.js';
import { Slot } from './wire.js';
import { createHttpImports, serveHttp } from './worker/http-host.js';
import { createKeyValueImports, HostCallClient } from './worker/keyvalue-host.js';
import { createWasiHost, GuestExit, type WasiHost } from './worker/wasi-host.js';

// Node 20 lacks JSPI: the glue probes WebAssembly.promising and, when missing, throws and catches on every
// instantiate (V8 re-parses a huge function each time). An identity function keeps it on the sync path.
const webAssembly = WebAssembly as unknown as { promising?: (f: unknown) => unknown };
if (typeof webAssembly.promising !== 'function') webAssembly.promising = (f: unknown) => f;

const data = workerData as WorkerData;
const port = data.port;
const control = new Int32Array(data.control);
const toWorker = new Slot(data.slots, 0);
const fromWorker = new Slot(data.slots, 1);
const kv = new HostCallClient(data.hostPort, control, { toWorker, fromWorker }, data.spinMicros);
const kvImports = createKeyValueImports(kv);

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
) => Record<string, unknown>;

interface IncomingHandler {
  handle(request: unknown, out: unknown): void;
}

interface GuestRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body: Uint8Array;
}

interface GuestResponse {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

interface Instance {
  /** The Mu world's export. */
  handle?: (request: GuestRequest) => GuestResponse;
  /** The proxy world's `wasi:http/incoming-handler`. */
  incomingHandler?: IncomingHandler;
  memories: WebAssembly.Memory[];
}

interface App {
  load: LoadMessage;
  ready: Promise<Instantiate>;
  /** The glue's `instantiate`, once loaded. */
  glue: Instantiate | undefined;
  instance: Instance | undefined;
  /** Proxy world: fresh instances made ahead of requests (a fetch-event instance serves one request). */
  spares: Instance[];
  /** The queued refill step, if any. */
  refill: { kind: 'immediate'; timer: NodeJS.Immediate } | { kind: 'timer'; timer: NodeJS.Timeout } | undefined;
  /** Set when a spare could not be made: the app's requests then instantiate for themselves. */
  sparesFailed: boolean;
  /** Moving average of the time a spare took to make, ms; undefined before the first. */
  instantiateMs: number | undefined;
  logs: LogEntry[];
  wasi: WasiHost;
}

const apps = new Map<string, App>();
const MAX_LOG_ENTRIES = 200;

function loadApp(message: LoadMessage): void {
  const logs: LogEntry[] = [];
  const app: App = {
    load: message,
    ready: import(pathToFileURL(message.gluePath).href).then((glue: { instantiate: Instantiate }) => {
      app.glue = glue.instantiate;
      return glue.instantiate;
    }),
    glue: undefined,
    instance: undefined,
    spares: [],
    refill: undefined,
    sparesFailed: false,
    instantiateMs: undefined,
    logs,
    wasi: createWasiHost(message.env, {
      write(level, text) {
        if (app.logs.length < MAX_LOG_ENTRIES) app.logs.push({ level, message: text });
      },
    }),
  };
  app.ready.catch(() => {}); // reported on the request that needs it
  apps.set(message.key, app);
}

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

function instantiate(app: App, instantiateGlue: Instantiate): Instance {
  const memories: WebAssembly.Memory[] = [];
  const env = new Map(app.load.env);
  const imports: Record<string, unknown> = {
    ...app.wasi.imports,
    ...kvImports,
    ...(app.load.world === 'wasi-http' ? createHttpImports(kv, app.load.allowedHosts) : {}),
    'mu:app/log': {
      log(level: LogLevel | number, message: string) {
        const name = typeof level === 'number' ? (LEVELS[level] ?? 'info') : level;
        if (app.logs.length < MAX_LOG_ENTRIES) app.logs.push({ level: name, message: String(message).slice(0, 4096) });
      },
    },
    'mu:app/config': {
      get: (key: string) => env.get(key),
      getAll: () => [...env],
    },
  };
  const exports = instantiateGlue(
    (name) => {
      const module = app.load.modules[name];
      if (module === undefined) throw new Error(`missing core module ${name}`);
      return module;
    },
    imports,
    (module, importObject) => {
      bindScalarImports(importObject, app.wasi.imports);
      const instance = new WebAssembly.Instance(module, importObject);
      for (const value of Object.values(instance.exports)) {
        if (value instanceof WebAssembly.Memory) memories.push(value);
      }
      return instance;
    },
  );
  if (app.load.world === 'wasi-http') {
    const key = Object.keys(exports).find((name) => name.startsWith('wasi:http/incoming-handler'));
    return { incomingHandler: exports[key ?? 'incomingHandler'] as IncomingHandler, memories };
  }
  const handle = exports.handle as (request: GuestRequest) => GuestResponse;
  return { handle, memories };
}

/**
 * Host functions that take nothing and return one u64: their canonical lowering is the identity (`() -> i64`),
 * so the core instance calls them directly instead of through the glue's trampolines, which build and settle a
 * task and a subtask on every call. A StarlingMonkey request reads the monotonic clock ~20 times.
 */
const SCALAR_IMPORTS: readonly (readonly [string, string, string])[] = [
  ['wasi:clocks/monotonic-clock', 'now', 'now'],
  ['wasi:clocks/monotonic-clock', 'resolution', 'resolution'],
  ['wasi:random/random', 'get-random-u64', 'getRandomU64'],
  ['wasi:random/insecure', 'get-insecure-random-u64', 'getInsecureRandomU64'],
];

function bindScalarImports(
  importObject: WebAssembly.Imports | undefined,
  host: Record<string, Record<string, unknown>>,
): void {
  if (importObject === undefined || importObject === null) return;
  for (const [name, functions] of Object.entries(importObject)) {
    if (functions === undefined || functions === null) continue;
    const at = name.indexOf('@');
    const unversioned = at < 0 ? name : name.slice(0, at);
    for (const [iface, coreName, hostName] of SCALAR_IMPORTS) {
      if (iface !== unversioned || typeof functions[coreName] !== 'function') continue;
      const direct = host[iface]?.[hostName];
      if (typeof direct === 'function') functions[coreName] = direct as () => bigint;
    }
  }
}

function memoryBytes(instance: Instance | undefined): number {
  if (instance === undefined) return 0;
  let total = 0;
  for (const memory of instance.memories) total += memory.buffer.byteLength;
  return total;
}

function send(message: PortMessageFromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.add(control, FROM_WORKER, 1);
}

/** Sends a complete response through the slot when it fits (waking a parked main thread), else on the port. */
function sendResponse(message: ResponseMessage): void {
  if (!fromWorker.writeResponse(message)) {
    send(message, [message.body.buffer as ArrayBuffer]);
    return;
  }
  Atomics.add(control, RESPONSE_SLOT, 1);
  if (Atomics.load(control, MAIN_PARKED) === 1) send({ type: 'wake' });
}

function failure(
  message: RequestMessage,
  code: FailureMessage['code'],
  text: string,
  meter: Omit<FailureMessage, 'type' | 'id' | 'code' | 'message' | 'logs' | 'discarded'>,
  discarded: boolean,
  logs: LogEntry[],
): void {
  send({ type: 'failure', id: message.id, code, message: text, discarded, logs, ...meter });
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

async function handleRequest(message: RequestMessage): Promise<void> {
  const arrivedAt = performance.now();
  lastGapMs = arrivedAt - lastArrivalAt;
  lastArrivalAt = arrivedAt;
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
    lastRequestEndedAt = performance.now();
  }
}

/** Runs the guest for one request and sends its answer. */
function serve(message: RequestMessage, app: App, instantiateGlue: Instantiate): void {
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
      // a fresh instance per request: a pre-made spare (the newest: its memory is the likeliest in cache), else
      // one made now
      const spare = app.spares.pop();
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
        throw new ResponseTooLarge(outcome.size);
      }
      if (outcome.kind === 'no-response') throw new NoResponse(outcome.detail);
      response = outcome;
    } else {
      if (app.instance === undefined) {
        app.instance = instantiate(app, instantiateGlue);
        instantiated = true;
      }
      response = app.instance.handle!(request);
    }
  } catch (error) {
    app.wasi.flush();
    const kvWaitMs = kv.takeWaitMs();
    const meter = {
      busyMs: Math.max(0, performance.now() - started - kvWaitMs),
      kvWaitMs,
      memoryBytes: memoryBytes(app.instance),
      instantiated,
    };
    // a trapped instance may hold broken state: never reuse it
    app.instance = undefined;
    if (http) refillSpares(app, instantiateGlue);
    if (error instanceof ResponseTooLarge || error instanceof NoResponse) {
      const code = error instanceof ResponseTooLarge ? 'RUNTIME_RESPONSE_TOO_LARGE' : 'RUNTIME_BAD_RESPONSE';
      failure(message, code, error.message, meter, true, app.logs);
      return;
    }
    const memoryLimitHit =
      meter.memoryBytes >= app.load.maxMemoryBytes * 0.9 ||
      (error instanceof RangeError && /memory/i.test(error.message)) ||
      app.logs.some((entry) => /out of memory|memory allocation/i.test(entry.message));
    const code = memoryLimitHit ? 'RUNTIME_MEMORY_LIMIT' : 'RUNTIME_TRAP';
    const text =
      error instanceof GuestExit
        ? error.message
        : memoryLimitHit
          ? `the guest ran out of its ${app.load.maxMemoryBytes} bytes of memory (${describe(error)})`
          : `the guest trapped: ${describe(error)}`;
    failure(message, code, text, meter, true, app.logs);
    return;
  }
  app.wasi.flush();
  const kvWaitMs = kv.takeWaitMs();
  const meter = {
    busyMs: Math.max(0, performance.now() - started - kvWaitMs),
    kvWaitMs,
    memoryBytes: memoryBytes(app.instance),
    instantiated,
  };
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

/** Without a steady rate, spares are made once the worker has had no request for this long (ms). */
const REFILL_IDLE_MS = 5;
/** When the worker last finished a request of any app (performance.now() ms). */
let lastRequestEndedAt = 0;
/** When the last request arrived, and the gap between it and the one before (ms). */
let lastArrivalAt = Number.NEGATIVE_INFINITY;
let lastGapMs = Number.POSITIVE_INFINITY;

/**
 * Makes the proxy world's spare instances off the requests' critical path. An instantiation cannot be
 * interrupted (4-5 ms for StarlingMonkey), so when to make one is a guess about the next request:
 * - none left: at once (the next request would have to make one anyway);
 * - requests arriving at a steady rate with room for an instantiation between them (the last gap is at most 4
 *   instantiations, and what remains of it is 1.1 instantiations or more): at once;
 * - otherwise (within a burst, or after a pause that may start one): after `REFILL_IDLE_MS` without a request,
 *   so a burst is served from the spares instead of waiting behind an instantiation begun between two of its
 *   requests.
 * One per event-loop turn; while a message waits, the step waits for it to be taken. The main thread sees
 * `WORKER_INSTANTIATING` and sends requests to another worker with the app loaded, if one is idle. An app whose
 * spare could not be made (say, a start function that calls the host, which only a request may do) gets no
 * more: each of its requests instantiates, and reports any failure.
 */
function refillSpares(app: App, instantiateGlue: Instantiate): void {
  if (app.sparesFailed || app.spares.length >= app.load.spares) return;
  const now = app.spares.length === 0 || steadyRateAllows(app);
  if (app.refill !== undefined) {
    // a step is queued: it stands, unless it is a wait that has just become a reason to go now
    if (!now || app.refill.kind === 'immediate') return;
    clearTimeout(app.refill.timer);
  }
  scheduleRefill(app, instantiateGlue, now ? 0 : REFILL_IDLE_MS, now);
}

function scheduleRefill(app: App, instantiateGlue: Instantiate, delayMs: number, now: boolean): void {
  app.refill =
    delayMs === 0
      ? { kind: 'immediate', timer: setImmediate(refillStep, app, instantiateGlue, now) }
      : { kind: 'timer', timer: setTimeout(refillStep, delayMs, app, instantiateGlue, false) };
}

function refillStep(app: App, instantiateGlue: Instantiate, now: boolean): void {
  app.refill = undefined;
  if (apps.get(app.load.key) !== app) return;
  const idleMs = performance.now() - lastRequestEndedAt;
  if (!now && app.spares.length > 0 && idleMs < REFILL_IDLE_MS) {
    scheduleRefill(app, instantiateGlue, REFILL_IDLE_MS - idleMs, false);
    return;
  }
  // set before the check, which narrows (cannot close) the window in which the main thread picks this worker as
  // it starts an instantiation
  Atomics.store(control, WORKER_INSTANTIATING, 1);
  if (hasMessage()) {
    Atomics.store(control, WORKER_INSTANTIATING, 0);
    scheduleRefill(app, instantiateGlue, 1, false); // taken in this turn's poll phase; `now` no longer holds after
    return;
  }
  try {
    const started = performance.now();
    app.spares.push(instantiate(app, instantiateGlue));
    const ms = performance.now() - started;
    app.instantiateMs = app.instantiateMs === undefined ? ms : app.instantiateMs * 0.8 + ms * 0.2;
  } catch {
    app.sparesFailed = true;
    return;
  } finally {
    Atomics.store(control, WORKER_INSTANTIATING, 0);
  }
  if (app.spares.length < app.load.spares) scheduleRefill(app, instantiateGlue, 0, steadyRateAllows(app));
}

/** Whether requests come at a steady rate that leaves room for one instantiation before the next. */
function steadyRateAllows(app: App): boolean {
  const instantiateMs = app.instantiateMs;
  if (instantiateMs === undefined) return false;
  const remainingMs = lastGapMs - (performance.now() - lastArrivalAt);
  return lastGapMs <= 4 * instantiateMs && remainingMs >= 1.1 * instantiateMs;
}

class ResponseTooLarge extends Error {
  constructor(readonly size: number) {
    super(`the response body exceeds the limit (${size} bytes or more)`);
  }
}

class NoResponse extends Error {}

/** Port messages taken so far (by event or while spinning). */
let portTaken = 0;
/** Slot requests taken so far. */
let slotTaken = 0;
/** The number of the next message to handle: the main thread numbers port and slot messages in one sequence. */
let nextSeq = 1;
let spinScheduled = false;
const spinBudget = new AdaptiveSpin(data.spinMicros);
/** When the worker last finished a message (performance.now() ms), or -1 while a message is being handled. */
let idleSince = -1;

function handle(message: ToWorkerMessage, seq: number): void {
  nextSeq = seq + 1;
  if (idleSince >= 0) spinBudget.arrived((performance.now() - idleSince) * 1000);
  idleSince = -1;
  switch (message.type) {
    case 'load':
      loadApp(message);
      break;
    case 'unload':
      apps.delete(message.key);
      break;
    case 'request':
      void handleRequest(message);
      break;
  }
}

/** Handles the request in the slot if it is the next message; returns whether it did. */
function takeSlot(): boolean {
  if (Atomics.load(control, REQUEST_SLOT) === slotTaken) return false;
  const seq = toWorker.peekSeq();
  if (seq !== nextSeq) return false; // an earlier message is still on the port
  slotTaken++;
  handle(toWorker.readRequest(), seq);
  return true;
}

function takePortMessage(message: PortMessageToWorker): void {
  portTaken++;
  if (message.type === 'wake') {
    takeSlot();
    return;
  }
  // a slot request numbered before this message goes first (it is visible: it was written before this was posted)
  if (message.seq !== nextSeq) takeSlot();
  handle(message, message.seq);
}

function hasMessage(): boolean {
  return Atomics.load(control, REQUEST_SLOT) !== slotTaken || Atomics.load(control, TO_WORKER) !== portTaken;
}

/** Takes the next message, from the slot or the port; returns whether there was one. */
function takeNext(): boolean {
  if (takeSlot()) return true;
  if (Atomics.load(control, TO_WORKER) === portTaken) return false;
  const received = receiveMessageOnPort(port);
  if (received === undefined) return false;
  takePortMessage(received.message as PortMessageToWorker);
  return true;
}

/** After a message: busy-wait a while for the next one (in a later turn, so work it queued runs first), or park. */
function afterMessage(): void {
  if (spinScheduled) return;
  if (data.spinMicros > 0) {
    spinScheduled = true;
    setImmediate(spin);
  } else {
    idleSince = performance.now();
    park();
  }
}

function spin(): void {
  spinScheduled = false;
  idleSince = performance.now();
  const outcome = spinFor(hasMessage, spinBudget.micros);
  if (outcome === SPIN_READY) {
    if (takeNext()) afterMessage();
    else park();
    return;
  }
  if (outcome === SPIN_PREEMPTED) spinBudget.preempted();
  else spinBudget.expired();
  park();
}

/** Sleep in the event loop: the main thread now wakes this worker with a port message. */
function park(): void {
  Atomics.store(control, WORKER_PARKED, 1);
  // a slot request written before the flag was visible would otherwise wait for nothing
  if (!hasMessage()) return;
  Atomics.store(control, WORKER_PARKED, 0);
  if (takeNext()) afterMessage();
  else Atomics.store(control, WORKER_PARKED, 1); // on its way through the port: its event wakes us
}

port.on('message', (message: PortMessageToWorker) => {
  Atomics.store(control, WORKER_PARKED, 0);
  takePortMessage(message);
  afterMessage();
});
send({ type: 'ready' });

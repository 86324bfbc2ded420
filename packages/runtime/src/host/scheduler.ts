/**
 * The scheduler: requests wait in one queue for an idle guest worker, run under their deadline, and are answered
 * from what the worker sends back (a response, a streamed one, a failure), metered as they finish.
 */
import { type GuestErrorCode, MuRuntimeError } from '../errors.js';
import type {
  FromWorkerMessage,
  HostCall,
  HostReply,
  LogEntry,
  OutboundRequest,
  RequestMessage,
  ResponseHeadMessage,
  ResponseMessage,
} from '../threads/messages.js';
import { WORKER_INSTANTIATING } from '../threads/wake-channel.js';
import type { CompiledApp } from './app-compiler.js';
import type { AppVersion } from './app-registry.js';
import { GuestPool, type GuestWorker } from './guest-pool.js';
import { runKeyValueCall } from './kv-bridge.js';
import type { UsageMeter } from './metering.js';
import type { RuntimeSettings } from './options.js';
import { runOutboundFetch } from './outbound-fetch.js';
import { type Receipt, signResponse } from './receipt.js';
import { guestErrorResponse, NULL_BODY_STATUS, withRequestId } from './responses.js';

/** A request from the moment `fetch` queues it until it is answered. */
export interface InFlightRequest {
  id: number;
  requestId: string;
  version: AppVersion;
  message: RequestMessage;
  compiled: CompiledApp;
  /** Whether the compiled app is in the keep-alive cache (else it is unloaded after this request). */
  cached: boolean;
  arrivedAt: number;
  /** Request body bytes (the body itself may be transferred to the worker, which detaches it here). */
  bytesIn: number;
  startedAt: number;
  worker: GuestWorker | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Set once a streaming response was handed out: the rest of the body (or its failure) goes here. */
  stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  resolve(response: Response): void;
}

/** Owns the guest workers and the requests on their way through them. */
export class Scheduler {
  readonly pool: GuestPool;
  readonly #settings: RuntimeSettings;
  readonly #usage: UsageMeter;
  readonly #queue: InFlightRequest[] = [];
  readonly #running = new Map<number, InFlightRequest>();
  /** Requests running per job (the fairness limit of {@link #dispatchQueued}). */
  readonly #runningPerJob = new Map<string, number>();
  #workersReplaced = 0;

  constructor(settings: RuntimeSettings, usage: UsageMeter) {
    this.#settings = settings;
    this.#usage = usage;
    this.pool = new GuestPool(settings.workerCount, settings.spinMicros, {
      message: (worker, message) => this.#onWorkerMessage(worker, message),
      hostCall: (worker, call) => this.#onHostCall(worker, call),
      exit: (worker, error) => this.#onWorkerExit(worker, error),
      ready: () => this.#dispatchQueued(),
    });
  }

  /** Requests waiting for a worker. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Requests running on a worker. */
  get running(): number {
    return this.#running.size;
  }

  /** Workers stopped (deadline, recycling) or dead and replaced. */
  get workersReplaced(): number {
    return this.#workersReplaced;
  }

  /** Queues a request, and starts it at once if a worker is free. */
  submit(request: InFlightRequest): void {
    this.#queue.push(request);
    this.#dispatchQueued();
    // only a request that has to wait gets a queue timer (timers cost on the hot path)
    if (request.worker === undefined) {
      request.timer = setTimeout(() => this.#expireQueued(request), this.#settings.queueTimeoutMs);
    }
  }

  /** Tells every worker that has a version loaded to forget it (the keep-alive cache evicted it). */
  unloadEverywhere(key: string): void {
    for (const worker of this.pool.workers) {
      if (worker.loaded.delete(key)) this.pool.post(worker, { type: 'unload', key });
    }
  }

  #log(jobId: string, requestId: string, level: LogEntry['level'], message: string): void {
    this.#settings.onLog?.({ jobId, requestId, level, message });
  }

  /** Starts queued requests on idle workers; an app may hold all but one worker while other apps wait. */
  #dispatchQueued(): void {
    const workers = this.pool.workers;
    const limit = Math.max(1, workers.length - 1);
    while (this.#queue.length > 0) {
      let idle: GuestWorker | undefined;
      let idleCount = 0;
      for (const worker of workers) {
        if (worker.alive && worker.ready && worker.busyWith === undefined) {
          idle ??= worker;
          idleCount++;
        }
      }
      if (idle === undefined) return;
      let index = 0;
      if (idleCount < workers.length) {
        // some workers are busy: skip apps that already hold `limit` of them
        index = this.#queue.findIndex((request) => (this.#runningPerJob.get(request.version.jobId) ?? 0) < limit);
        if (index < 0) index = 0;
      }
      const request = index === 0 ? this.#queue.shift()! : this.#queue.splice(index, 1)[0]!;
      // an idle worker with the app loaded, better one not making a spare instance (that cannot be interrupted)
      let worker = idle;
      let loaded: GuestWorker | undefined;
      for (const candidate of workers) {
        if (
          candidate.alive &&
          candidate.ready &&
          candidate.busyWith === undefined &&
          candidate.loaded.has(request.version.key)
        ) {
          loaded ??= candidate;
          if (Atomics.load(candidate.control, WORKER_INSTANTIATING) === 0) {
            loaded = candidate;
            break;
          }
        }
      }
      if (loaded !== undefined) worker = loaded;
      this.#startOn(request, worker);
    }
  }

  /** Sends a request to a worker (its app first, if the worker lacks it) and arms its deadline. */
  #startOn(request: InFlightRequest, worker: GuestWorker): void {
    clearTimeout(request.timer);
    const version = request.version;
    if (!worker.loaded.has(version.key)) {
      this.pool.post(worker, {
        type: 'load',
        key: version.key,
        world: version.world,
        gluePath: version.transpiled.gluePath,
        modules: request.compiled.modules,
        env: version.env,
        maxResponseBytes: version.limits.maxResponseBytes,
        maxMemoryBytes: version.limits.memoryMb * 2 ** 20,
        allowedHosts: version.allowedHosts,
        // a receipt must cover the whole answer, so signed responses are buffered
        stream: version.world === 'wasi-http' && this.#settings.signReceipt === undefined,
        spares: version.world === 'wasi-http' ? this.#settings.spareInstances : 0,
      });
      worker.loaded.add(version.key);
      worker.glues.add(version.transpiled.gluePath);
    }
    worker.busyWith = request.id;
    request.worker = worker;
    request.startedAt = performance.now();
    this.#running.set(request.id, request);
    const jobId = version.jobId;
    this.#runningPerJob.set(jobId, (this.#runningPerJob.get(jobId) ?? 0) + 1);
    const body = request.message.body;
    const transfer =
      body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer
        ? [body.buffer]
        : [];
    this.pool.post(worker, request.message, transfer, version.serviceMicros);
    request.timer = setTimeout(() => this.#stopAtDeadline(request), version.limits.timeoutMs);
    if (!request.cached) {
      // not kept warm (bigger than the cache budget): forget it on this worker after the request
      this.pool.post(worker, { type: 'unload', key: version.key });
      worker.loaded.delete(version.key);
    }
  }

  /** A request waited `queueTimeoutMs` for a worker: it answers RUNTIME_OVERLOADED. */
  #expireQueued(request: InFlightRequest): void {
    const index = this.#queue.indexOf(request);
    if (index < 0) return;
    this.#queue.splice(index, 1);
    this.#usage.of(request.version.jobId).errors++;
    request.resolve(
      guestErrorResponse(
        'RUNTIME_OVERLOADED',
        `no worker was free within ${this.#settings.queueTimeoutMs} ms; retry later`,
        request.requestId,
      ),
    );
  }

  /** Takes a request off its worker's books; returns its wall time, ms. */
  #finish(request: InFlightRequest): number {
    clearTimeout(request.timer);
    this.#running.delete(request.id);
    const jobId = request.version.jobId;
    const running = (this.#runningPerJob.get(jobId) ?? 1) - 1;
    if (running === 0) this.#runningPerJob.delete(jobId);
    else this.#runningPerJob.set(jobId, running);
    const wallMs = performance.now() - request.arrivedAt;
    this.#usage.of(request.version.jobId).wallMs += wallMs;
    return wallMs;
  }

  /** A request ran past its deadline: its worker is replaced and it answers RUNTIME_TIMEOUT. */
  #stopAtDeadline(request: InFlightRequest): void {
    if (!this.#running.has(request.id)) return;
    const wallMs = this.#finish(request);
    const usage = this.#usage.of(request.version.jobId);
    usage.timeouts++;
    usage.errors++;
    // CPU: the guest spun for the whole deadline
    usage.cpuMs += performance.now() - request.startedAt;
    const worker = request.worker!;
    const channel = this.pool.describe(worker);
    this.#workersReplaced++;
    this.pool.replace(worker);
    const message = `the request ran past its deadline of ${request.version.limits.timeoutMs} ms and was stopped`;
    this.#log(
      request.version.jobId,
      request.requestId,
      'error',
      `${message} (wall ${wallMs.toFixed(0)} ms; ${channel})`,
    );
    this.#fail(request, 'RUNTIME_TIMEOUT', message);
    this.#dispatchQueued();
  }

  /** Answers a guest failure: an error response, or, once a streamed response is out, an error on its body. */
  #fail(request: InFlightRequest, code: GuestErrorCode, message: string): void {
    if (request.stream !== undefined) {
      request.stream.error(new MuRuntimeError(code, message));
      request.stream = undefined;
      return;
    }
    request.resolve(guestErrorResponse(code, message, request.requestId));
  }

  /** A streaming response's head: hand the Response out now; its body follows as chunks. */
  #onResponseHead(request: InFlightRequest, message: ResponseHeadMessage): void {
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(start) {
        controller = start;
      },
    });
    let response: Response;
    try {
      const headers = new Headers(message.headers);
      headers.set('mu-request-id', request.requestId);
      response = new Response(NULL_BODY_STATUS.has(message.status) ? null : body, { status: message.status, headers });
    } catch (error) {
      // invalid head: the final message will carry the same head and answer RUNTIME_BAD_RESPONSE
      void error;
      return;
    }
    request.stream = controller;
    request.resolve(response);
  }

  #onWorkerExit(worker: GuestWorker, error: unknown): void {
    this.#workersReplaced++;
    const id = worker.busyWith;
    const request = id === undefined ? undefined : this.#running.get(id);
    if (request !== undefined) {
      this.#finish(request);
      const usage = this.#usage.of(request.version.jobId);
      usage.errors++;
      this.#log(request.version.jobId, request.requestId, 'error', `guest worker died: ${String(error)}`);
      request.resolve(
        guestErrorResponse('RUNTIME_TRAP', 'the guest worker died while running the request', request.requestId),
      );
    }
    this.#dispatchQueued();
  }

  /** A guest's call to the host (MuDB, outbound HTTP), served for the request its worker runs. */
  #onHostCall(worker: GuestWorker, call: HostCall): void {
    const id = worker.busyWith;
    const request = id === undefined ? undefined : this.#running.get(id);
    const reply =
      call.op === 'http-fetch'
        ? request === undefined
          ? Promise.resolve<HostReply>({ ok: false, message: 'HTTP-request-denied' })
          : runOutboundFetch(
              call.args[0] as OutboundRequest,
              request.version.allowedHosts,
              request.version.limits.timeoutMs - (performance.now() - request.startedAt),
              request.version.limits.maxResponseBytes,
            )
        : runKeyValueCall(request?.version.namespace, call);
    void reply.then((reply) => this.pool.reply(worker, reply));
  }

  #onWorkerMessage(worker: GuestWorker, message: FromWorkerMessage): void {
    const request = this.#running.get(message.id);
    if (message.type === 'response-head' || message.type === 'response-chunk') {
      if (request === undefined || request.worker !== worker) return;
      if (message.type === 'response-head') this.#onResponseHead(request, message);
      else if (request.stream !== undefined) {
        request.stream.enqueue(message.chunk);
        this.#usage.of(request.version.jobId).bytesOut += message.chunk.byteLength;
      }
      return;
    }
    if (worker.busyWith === message.id) {
      worker.busyWith = undefined;
      if (worker.glues.size >= this.#settings.maxAppsPerWorker) {
        // a fresh thread frees the glue modules of apps long gone (warm instances are rebuilt on demand)
        this.#workersReplaced++;
        this.pool.replace(worker);
      }
    }
    if (request === undefined || request.worker !== worker) {
      this.#dispatchQueued();
      return;
    }
    const wallMs = this.#finish(request);
    const version = request.version;
    const usage = this.#usage.of(version.jobId);
    usage.cpuMs += message.busyMs;
    const serviceMicros = (message.busyMs + message.kvWaitMs) * 1000;
    version.serviceMicros =
      version.serviceMicros === undefined ? serviceMicros : version.serviceMicros * 0.8 + serviceMicros * 0.2;
    usage.memoryHighWaterBytes = Math.max(usage.memoryHighWaterBytes, message.memoryBytes);
    usage.memoryMbMs += (message.memoryBytes / 2 ** 20) * wallMs;
    if (message.instantiated) usage.coldStarts++;
    for (const entry of message.logs) this.#log(version.jobId, request.requestId, entry.level, entry.message);
    this.#dispatchQueued();
    if (message.type === 'failure') {
      usage.errors++;
      this.#log(version.jobId, request.requestId, 'error', message.message);
      this.#fail(request, message.code, message.message);
      return;
    }
    if (request.stream !== undefined) {
      if (message.body.byteLength > 0) request.stream.enqueue(message.body);
      usage.bytesOut += message.body.byteLength;
      request.stream.close();
      request.stream = undefined;
      return;
    }
    const response = this.#respond(request, message, wallMs);
    if (response instanceof Response) request.resolve(response);
    else void response.then(request.resolve);
  }

  /** Builds the response; asynchronous only when a receipt signer is set. */
  #respond(request: InFlightRequest, message: ResponseMessage, wallMs: number): Response | Promise<Response> {
    const version = request.version;
    const usage = this.#usage.of(version.jobId);
    let response: Response;
    try {
      const status = message.status;
      response = new Response(
        NULL_BODY_STATUS.has(status) || message.body.byteLength === 0
          ? null
          : (message.body as Uint8Array<ArrayBuffer>),
        { status, headers: withRequestId(message.headers, request.requestId) },
      );
    } catch (error) {
      usage.errors++;
      const text = `the app answered an invalid response: ${(error as Error).message}`;
      this.#log(version.jobId, request.requestId, 'error', text);
      return guestErrorResponse('RUNTIME_BAD_RESPONSE', text, request.requestId);
    }
    usage.bytesOut += message.body.byteLength;
    const sign = this.#settings.signReceipt;
    if (sign === undefined) return response;
    const receipt: Receipt = {
      jobId: version.jobId,
      requestId: request.requestId,
      sha256: version.sha256,
      status: message.status,
      wallMs,
      cpuMs: message.busyMs,
      memoryBytes: message.memoryBytes,
      bytesIn: request.bytesIn,
      bytesOut: message.body.byteLength,
      at: Date.now(),
    };
    return signResponse(response, receipt, sign, (error) =>
      this.#log(version.jobId, request.requestId, 'error', `signing the receipt failed: ${String(error)}`),
    );
  }

  /** Answers every queued and running request RUNTIME_OVERLOADED and stops the workers. */
  async close(): Promise<void> {
    for (const request of this.#queue.splice(0)) {
      clearTimeout(request.timer);
      request.resolve(guestErrorResponse('RUNTIME_OVERLOADED', 'the runtime closed', request.requestId));
    }
    for (const request of this.#running.values()) {
      clearTimeout(request.timer);
      this.#fail(request, 'RUNTIME_OVERLOADED', 'the runtime closed');
    }
    this.#running.clear();
    this.#runningPerJob.clear();
    await this.pool.close();
  }
}

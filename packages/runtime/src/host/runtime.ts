import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { type MuDB, type Namespace, openMuDB } from '@mu/mudb';
import { KeepAliveCache, type KeepAlivePolicy } from './cache/index.js';
import { DEFAULT_SPIN_MICROS, WORKER_INSTANTIATING } from './channel.js';
import {
  GUEST_ERROR_STATUS,
  type GuestErrorCode,
  HashMismatchError,
  JobExistsError,
  JobNotFoundError,
  LoadError,
  MuRuntimeError,
  NotAComponentError,
  RuntimeClosedError,
} from './errors.js';
import { GuestPool, type GuestWorker } from './guest-pool.js';
import { runKeyValueCall } from './kv-bridge.js';
import { emptyJobUsage, type JobUsage } from './metering.js';
import { runOutboundFetch } from './outbound.js';
import type {
  FromWorkerMessage,
  HostCall,
  HostReply,
  LogEntry,
  OutboundRequest,
  RequestMessage,
  ResponseHeadMessage,
  ResponseMessage,
} from './protocol.js';
import { readCoreModules, type TranspiledComponent, transpileCached } from './transpile-cache.js';
import { capMemories, sha256Hex, wasmKind } from './wasm-binary.js';
import { classifyComponent, type World } from './worlds.js';

// QuickJS components use extended-const, which Node 20 only accepts behind this flag (process-wide, so
// the guest workers compile nothing themselves: they receive compiled modules).
setFlagsFromString('--experimental-wasm-extended-const');

/** Limits of one app (the job spec's `limits`). */
export interface AppLimits {
  /** Linear memory cap of an instance, MiB (the core modules' memory maximum is rewritten). Default 128. */
  memoryMb: number;
  /** Deadline of one request once it runs, ms: past it the worker is terminated. Default 10,000. */
  timeoutMs: number;
  /** Largest request body, bytes. Default 1 MiB. */
  maxBodyBytes: number;
  /** Largest response body, bytes. Default: 8 MiB. */
  maxResponseBytes: number;
}

/** What `register` and `update` take. */
export interface AppOptions {
  /** The component bytes, or a loader called at registration only when the transpile cache lacks this code. */
  component: Uint8Array | (() => Promise<Uint8Array> | Uint8Array);
  /** Hex sha256 of the component (the job spec's `code.sha256`); required with a loader. */
  sha256?: string;
  /** The job spec's env: the guest reads it through `mu:app/config` and as its WASI environment. */
  env?: Record<string, string>;
  limits?: Partial<AppLimits>;
  /** MuDB quota of the job's namespace (stored bytes). */
  kv?: { quotaBytes?: number };
  /**
   * Hosts a wasi:http/proxy app may send requests to (`api.example.com` or `127.0.0.1:8080`). Default: none, every
   * outbound request answers `HTTP-request-denied`. (The Mu world has no outbound HTTP import at all.)
   */
  allowedHosts?: string[];
}

/** What registration found. */
export interface Registration {
  jobId: string;
  sha256: string;
  world: World;
  /** Imported interfaces (the app's capabilities). */
  imports: string[];
  /** Whether the transpiled output came from the disk cache. */
  transpileCached: boolean;
}

/** A signed-receipt input: what one request used. */
export interface Receipt {
  jobId: string;
  requestId: string;
  sha256: string;
  status: number;
  wallMs: number;
  cpuMs: number;
  memoryBytes: number;
  bytesIn: number;
  bytesOut: number;
  at: number;
}

/** A guest log line with its origin. */
export interface JobLogEntry extends LogEntry {
  jobId: string;
  requestId: string;
}

/** Options of {@link createRuntime}. */
export interface RuntimeOptions {
  /** Guest worker threads. Default 2. */
  workers?: number;
  /** Where transpiled components are cached by sha256. Default `<os tmpdir>/mu-runtime-cache`. */
  cacheDir?: string;
  /** The store guests' KV calls go to (one namespace per job). Default: an in-memory MuDB owned by the runtime. */
  mudb?: MuDB;
  /** Memory budget of the keep-alive cache of compiled apps, bytes. Default 512 MiB. */
  cacheBudgetBytes?: number;
  /** Keep-alive policy. Default: the cache's default policy. */
  policy?: KeepAlivePolicy;
  /** Limits for apps that do not set them. */
  defaultLimits?: Partial<AppLimits>;
  /** How long a request may wait for a free worker, ms, before answering RUNTIME_OVERLOADED. Default 30,000. */
  queueTimeoutMs?: number;
  /**
   * Distinct components a worker may load before it is replaced by a fresh thread (their glue modules stay in
   * its module registry for good). Default 256.
   */
  maxAppsPerWorker?: number;
  /**
   * How long a thread that has just worked may busy-wait for the next message before it sleeps, µs: guest
   * workers between requests (adapting to the gaps they see: a worker fed rarely stops spinning) and while a KV
   * call is answered, the main thread while a request runs. Trades CPU for latency: each hop that finds its
   * thread asleep pays a wake-up (50-85 µs on the reference VM, see the README). 0 disables busy-waiting.
   * Default 1000.
   */
  spinMicros?: number;
  /**
   * Proxy-world (wasi:http) apps get a fresh instance per request. Each worker that runs such an app keeps this
   * many made ahead (in its idle time) so that a burst of this many requests waits for no instantiation (4-5 ms
   * for a StarlingMonkey app). Each spare holds the app's initial linear memory (9.5 MB for StarlingMonkey), which
   * the keep-alive cache's budget counts for every worker. 0: instantiate when the request comes. Default 4.
   */
  spareInstances?: number;
  /** Adds a `mu-receipt` header to every response (inject the signer from contract-client). */
  signReceipt?: (receipt: Receipt) => string | Promise<string>;
  /** Receives guest logs and runtime error reports. */
  onLog?: (entry: JobLogEntry) => void;
}

/** A runtime: registers apps and answers their requests. */
export interface Runtime {
  /**
   * Registers a job: checks the hash, that the bytes are a component of a supported world whose imports this
   * node provides, and transpiles it (cached on disk by sha256). The code is compiled on the first request.
   * @throws TypeError, RangeError on bad arguments; JobExistsError, NotAComponentError, HashMismatchError,
   *   WrongWorldError, MissingExportError, UnsupportedImportError, TranspileError
   */
  register(jobId: string, options: AppOptions): Promise<Registration>;
  /** Replaces a job's code or settings; requests already running finish on the old version. */
  update(jobId: string, options: AppOptions): Promise<Registration>;
  /** Removes a job; requests already running finish. */
  unregister(jobId: string): Promise<void>;
  /** Whether a job is registered. */
  has(jobId: string): boolean;
  /**
   * Answers a request with the job's app. Guest failures answer with an error response (504 timeout, 500 trap
   * with an error id, 413/502 body limits), never by throwing.
   * @throws JobNotFoundError, RuntimeClosedError
   */
  fetch(jobId: string, request: Request): Promise<Response>;
  /** Usage per job since the last call (KV figures from MuDB); resets the counters. */
  takeUsage(): Map<string, JobUsage>;
  /** Counters for monitoring. */
  stats(): RuntimeStats;
  /** Stops the workers (and closes the MuDB the runtime opened itself). */
  close(): Promise<void>;
}

/** Monitoring counters of a runtime. */
export interface RuntimeStats {
  jobs: number;
  queued: number;
  running: number;
  workersReplaced: number;
  cache: { hits: number; misses: number; evictions: number; usedBytes: number; size: number };
}

interface Version {
  key: string;
  jobId: string;
  sha256: string;
  world: World;
  transpiled: TranspiledComponent;
  limits: AppLimits;
  env: [string, string][];
  allowedHosts: string[];
  namespace: Namespace;
  running: number;
  retired: boolean;
  /** Moving average of the time a request spends in the guest (KV waits included), µs; undefined before the first. */
  serviceMicros: number | undefined;
}

interface CompiledApp {
  modules: Record<string, WebAssembly.Module>;
}

interface Pending {
  id: number;
  requestId: string;
  version: Version;
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

const DEFAULT_LIMITS: AppLimits = {
  memoryMb: 128,
  timeoutMs: 10_000,
  maxBodyBytes: 1 << 20,
  maxResponseBytes: 8 << 20,
};

function checkLimits(limits: Partial<AppLimits> | undefined, base: AppLimits, what: string): AppLimits {
  if (limits === undefined) return base;
  if (limits === null || typeof limits !== 'object') throw new TypeError(`${what} must be an object`);
  const resolved = { ...base };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof AppLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new RangeError(`${what}.${key} must be a positive number, got ${String(value)}`);
    }
    resolved[key] = value;
  }
  return resolved;
}

function checkJobId(jobId: unknown): asserts jobId is string {
  if (typeof jobId !== 'string') throw new TypeError('jobId must be a string');
  const length = Buffer.byteLength(jobId);
  if (length === 0 || length > 255) throw new RangeError('jobId must be 1 to 255 UTF-8 bytes');
}

function errorResponse(code: GuestErrorCode, message: string, requestId: string): Response {
  return new Response(JSON.stringify({ error: { code, message, id: requestId } }), {
    status: GUEST_ERROR_STATUS[code],
    headers: { 'content-type': 'application/json', 'mu-error': code, 'mu-request-id': requestId },
  });
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** The guest's headers with `mu-request-id` set to ours (a guest's own value is dropped). */
function withRequestId(headers: [string, string][], requestId: string): [string, string][] {
  const out: [string, string][] = [];
  for (const header of headers) {
    if (header[0].length !== 13 || header[0].toLowerCase() !== 'mu-request-id') out.push(header);
  }
  out.push(['mu-request-id', requestId]);
  return out;
}

async function readBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) return undefined;
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/**
 * Creates a Mu runtime: a pool of guest workers, a keep-alive cache of compiled apps, MuDB for guests.
 *
 * @example
 * ```ts
 * const runtime = await createRuntime({ workers: 2 });
 * await runtime.register('job-1', { component: bytes, env: { GREETING: 'hi' } });
 * const response = await runtime.fetch('job-1', new Request('http://app.local/'));
 * await runtime.close();
 * ```
 * @throws TypeError, RangeError on bad options
 */
export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  if (options === null || typeof options !== 'object') throw new TypeError('createRuntime options must be an object');
  const workerCount = options.workers ?? 2;
  if (!Number.isInteger(workerCount) || workerCount < 1 || workerCount > 256) {
    throw new RangeError('workers must be an integer from 1 to 256');
  }
  const defaultLimits = checkLimits(options.defaultLimits, DEFAULT_LIMITS, 'defaultLimits');
  const cacheDir = options.cacheDir ?? join(tmpdir(), 'mu-runtime-cache');
  const queueTimeoutMs = options.queueTimeoutMs ?? 30_000;
  const maxAppsPerWorker = options.maxAppsPerWorker ?? 256;
  if (!Number.isInteger(maxAppsPerWorker) || maxAppsPerWorker < 1) {
    throw new RangeError('maxAppsPerWorker must be a positive integer');
  }
  const budgetBytes = options.cacheBudgetBytes ?? 512 * 2 ** 20;
  const spinMicros = options.spinMicros ?? DEFAULT_SPIN_MICROS;
  if (typeof spinMicros !== 'number' || !Number.isFinite(spinMicros) || spinMicros < 0 || spinMicros > 1_000_000) {
    throw new RangeError('spinMicros must be a number of microseconds from 0 to 1,000,000');
  }
  const spareInstances = options.spareInstances ?? 4;
  if (!Number.isInteger(spareInstances) || spareInstances < 0 || spareInstances > 64) {
    throw new RangeError('spareInstances must be an integer from 0 to 64');
  }
  const ownsDb = options.mudb === undefined;
  const db = options.mudb ?? (await openMuDB());
  return new MuRuntime(db, ownsDb, {
    workerCount,
    defaultLimits,
    cacheDir,
    queueTimeoutMs,
    maxAppsPerWorker,
    budgetBytes,
    spinMicros,
    spareInstances,
    policy: options.policy,
    signReceipt: options.signReceipt,
    onLog: options.onLog,
  });
}

interface Settings {
  workerCount: number;
  defaultLimits: AppLimits;
  cacheDir: string;
  queueTimeoutMs: number;
  maxAppsPerWorker: number;
  budgetBytes: number;
  spinMicros: number;
  spareInstances: number;
  policy: KeepAlivePolicy | undefined;
  signReceipt: RuntimeOptions['signReceipt'];
  onLog: RuntimeOptions['onLog'];
}

class MuRuntime implements Runtime {
  readonly #db: MuDB;
  readonly #ownsDb: boolean;
  readonly #settings: Settings;
  readonly #jobs = new Map<string, Version>();
  readonly #cache: KeepAliveCache<CompiledApp>;
  /** Versions whose size was reported as over the cache budget (once each). */
  readonly #warnedTooLarge = new WeakSet<Version>();
  readonly #compiling = new Map<string, Promise<CompiledApp>>();
  readonly #pool: GuestPool;
  readonly #queue: Pending[] = [];
  readonly #running = new Map<number, Pending>();
  /** Requests running per job (the fairness limit of {@link #pump}). */
  readonly #runningPerJob = new Map<string, number>();
  readonly #usage = new Map<string, JobUsage>();
  readonly #sweeper: NodeJS.Timeout;
  #nextId = 1;
  #versions = 0;
  #closed = false;
  #workersReplaced = 0;

  constructor(db: MuDB, ownsDb: boolean, settings: Settings) {
    this.#db = db;
    this.#ownsDb = ownsDb;
    this.#settings = settings;
    this.#cache = new KeepAliveCache<CompiledApp>({
      budgetBytes: settings.budgetBytes,
      ...(settings.policy === undefined ? {} : { policy: settings.policy }),
      onEvict: (key) => this.#unloadEverywhere(key),
    });
    this.#pool = new GuestPool(settings.workerCount, settings.spinMicros, {
      message: (worker, message) => this.#onWorkerMessage(worker, message),
      hostCall: (worker, call) => this.#onHostCall(worker, call),
      exit: (worker, error) => this.#onWorkerExit(worker, error),
      ready: () => this.#pump(),
    });
    this.#sweeper = setInterval(() => this.#cache.sweep(), 1_000);
    this.#sweeper.unref();
  }

  has(jobId: string): boolean {
    return this.#jobs.has(jobId);
  }

  async register(jobId: string, options: AppOptions): Promise<Registration> {
    checkJobId(jobId);
    if (this.#closed) throw new RuntimeClosedError();
    if (this.#jobs.has(jobId)) throw new JobExistsError(jobId);
    const version = await this.#prepare(jobId, options);
    if (this.#closed) throw new RuntimeClosedError();
    if (this.#jobs.has(jobId)) throw new JobExistsError(jobId);
    this.#jobs.set(jobId, version);
    return this.#registration(version);
  }

  async update(jobId: string, options: AppOptions): Promise<Registration> {
    checkJobId(jobId);
    if (this.#closed) throw new RuntimeClosedError();
    if (!this.#jobs.has(jobId)) throw new JobNotFoundError(jobId);
    const version = await this.#prepare(jobId, options);
    const previous = this.#jobs.get(jobId);
    if (previous === undefined) throw new JobNotFoundError(jobId);
    this.#jobs.set(jobId, version);
    this.#retire(previous);
    return this.#registration(version);
  }

  async unregister(jobId: string): Promise<void> {
    checkJobId(jobId);
    const version = this.#jobs.get(jobId);
    if (version === undefined) throw new JobNotFoundError(jobId);
    this.#jobs.delete(jobId);
    this.#retire(version);
  }

  #registration(version: Version): Registration {
    return {
      jobId: version.jobId,
      sha256: version.sha256,
      world: version.world,
      imports: version.transpiled.imports,
      transpileCached: version.transpiled.fromCache,
    };
  }

  #retire(version: Version): void {
    version.retired = true;
    if (version.running === 0) this.#cache.delete(version.key);
  }

  async #prepare(jobId: string, options: AppOptions): Promise<Version> {
    if (options === null || typeof options !== 'object') throw new TypeError('app options must be an object');
    const { component } = options;
    if (!(component instanceof Uint8Array) && typeof component !== 'function') {
      throw new TypeError('component must be a Uint8Array or a loader function');
    }
    if (
      options.sha256 !== undefined &&
      (typeof options.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(options.sha256))
    ) {
      throw new TypeError('sha256 must be 64 lower-case hex digits');
    }
    if (typeof component === 'function' && options.sha256 === undefined) {
      throw new TypeError('a component loader needs the sha256 of the code');
    }
    const env = options.env ?? {};
    if (env === null || typeof env !== 'object') throw new TypeError('env must be an object of strings');
    for (const [key, value] of Object.entries(env)) {
      if (typeof value !== 'string') throw new TypeError(`env.${key} must be a string`);
    }
    const limits = checkLimits(options.limits, this.#settings.defaultLimits, 'limits');
    const allowedHosts = options.allowedHosts ?? [];
    if (!Array.isArray(allowedHosts) || allowedHosts.some((host) => typeof host !== 'string' || host.length === 0)) {
      throw new TypeError('allowedHosts must be an array of host names');
    }
    const quotaBytes = options.kv?.quotaBytes;
    if (quotaBytes !== undefined && (!Number.isInteger(quotaBytes) || quotaBytes <= 0)) {
      throw new RangeError('kv.quotaBytes must be a positive integer');
    }

    const check = (bytes: Uint8Array): Uint8Array => {
      if (!(bytes instanceof Uint8Array)) throw new TypeError('the component loader must return a Uint8Array');
      const kind = wasmKind(bytes);
      if (kind === 'core-module') throw new NotAComponentError('a core module: wrap it with `jco new`');
      if (kind === 'not-wasm') throw new NotAComponentError('no WebAssembly preamble');
      const actual = sha256Hex(bytes);
      if (options.sha256 !== undefined && actual !== options.sha256)
        throw new HashMismatchError(options.sha256, actual);
      return bytes;
    };
    let sha256: string;
    let load: () => Promise<Uint8Array>;
    if (component instanceof Uint8Array) {
      const bytes = check(component);
      sha256 = options.sha256 ?? sha256Hex(bytes);
      load = async () => bytes;
    } else {
      sha256 = options.sha256!;
      load = async () => check(await component());
    }
    const transpiled = await transpileCached(this.#settings.cacheDir, sha256, load);
    const shape = classifyComponent(transpiled.imports, transpiled.exports, transpiled.versionedImports);
    const namespace = this.#db.namespace(
      jobId,
      quotaBytes === undefined ? {} : { quota: { maxStoredBytes: quotaBytes } },
    );
    return {
      key: `${jobId}#${++this.#versions}`,
      jobId,
      sha256,
      world: shape.world,
      transpiled,
      limits,
      env: Object.entries(env),
      allowedHosts: [...allowedHosts],
      namespace,
      running: 0,
      retired: false,
      serviceMicros: undefined,
    };
  }

  /** Compiles a version the keep-alive cache missed (a cold start); one compilation for concurrent misses. */
  async #compiled(version: Version): Promise<{ compiled: CompiledApp; cached: boolean }> {
    let pending = this.#compiling.get(version.key);
    if (pending === undefined) {
      pending = this.#compile(version);
      this.#compiling.set(version.key, pending);
      pending.then(
        () => this.#compiling.delete(version.key),
        () => this.#compiling.delete(version.key),
      );
    }
    const compiled = await pending;
    return { compiled, cached: this.#cache.has(version.key) };
  }

  async #compile(version: Version): Promise<CompiledApp> {
    const started = performance.now();
    const maxMemoryBytes = version.limits.memoryMb * 2 ** 20;
    let wasmBytes = 0;
    let initialMemory = 0;
    const modules: Record<string, WebAssembly.Module> = {};
    try {
      const files = await readCoreModules(version.transpiled);
      await Promise.all(
        [...files].map(async ([name, bytes]) => {
          const capped = capMemories(bytes, maxMemoryBytes);
          wasmBytes += bytes.byteLength;
          initialMemory += capped.initialBytes;
          modules[name] = await WebAssembly.compile(capped.bytes as Uint8Array<ArrayBuffer>);
        }),
      );
    } catch (error) {
      throw new LoadError(version.jobId, { cause: error });
    }
    const compiled: CompiledApp = { modules };
    if (!version.retired) {
      // Compiled code is about the size of the Wasm; each worker that runs the app holds an instance, and for the
      // proxy world its spares (the initial memory is an upper bound: a fresh StarlingMonkey instance is 9.5 MB of
      // it and ~5 MB resident).
      const instances = 1 + (version.world === 'wasi-http' ? this.#settings.spareInstances : 0);
      const sizeBytes = wasmBytes * 2 + initialMemory * instances * this.#settings.workerCount;
      this.#cache.set(version.key, compiled, { sizeBytes, coldStartMs: performance.now() - started });
      if (sizeBytes > this.#settings.budgetBytes && !this.#warnedTooLarge.has(version)) {
        this.#warnedTooLarge.add(version);
        this.#settings.onLog?.({
          jobId: version.jobId,
          requestId: '',
          level: 'warn',
          message: `not kept warm: the app needs ~${sizeBytes} bytes (code, instances, spares) and cacheBudgetBytes is ${this.#settings.budgetBytes}; every request compiles it`,
        });
      }
    }
    return compiled;
  }

  #unloadEverywhere(key: string): void {
    for (const worker of this.#pool.workers) {
      if (worker.loaded.delete(key)) this.#pool.post(worker, { type: 'unload', key });
    }
  }

  async fetch(jobId: string, request: Request): Promise<Response> {
    if (this.#closed) throw new RuntimeClosedError();
    const version = this.#jobs.get(jobId);
    if (version === undefined) throw new JobNotFoundError(jobId);
    if (!(request instanceof Request)) throw new TypeError('request must be a Request');
    const arrivedAt = performance.now();
    const requestId = randomUUID();
    const usage = this.#usageOf(jobId);
    usage.requests++;
    version.running++;
    try {
      // the common cases stay free of awaits: no body, and an app already compiled
      const body = request.body === null ? new Uint8Array(0) : await readBody(request, version.limits.maxBodyBytes);
      if (body === undefined) {
        usage.errors++;
        return errorResponse(
          'RUNTIME_REQUEST_TOO_LARGE',
          `the request body exceeds the limit of ${version.limits.maxBodyBytes} bytes`,
          requestId,
        );
      }
      usage.bytesIn += body.byteLength;
      let compiled: { compiled: CompiledApp; cached: boolean };
      try {
        const hit = this.#cache.get(version.key);
        compiled = hit === undefined ? await this.#compiled(version) : { compiled: hit, cached: true };
      } catch (error) {
        usage.errors++;
        this.#log(jobId, requestId, 'error', `load failed: ${String((error as Error).cause ?? error)}`);
        return errorResponse('RUNTIME_LOAD_FAILED', (error as Error).message, requestId);
      }
      if (this.#closed) throw new RuntimeClosedError();
      const id = this.#nextId++;
      const headers: [string, string][] = [];
      request.headers.forEach((value, name) => {
        headers.push([name, value]);
      });
      return await new Promise<Response>((resolve) => {
        const pending: Pending = {
          id,
          requestId,
          version,
          message: { type: 'request', id, key: version.key, method: request.method, url: request.url, headers, body },
          compiled: compiled.compiled,
          cached: compiled.cached,
          arrivedAt,
          bytesIn: body.byteLength,
          startedAt: 0,
          worker: undefined,
          timer: undefined,
          stream: undefined,
          resolve,
        };
        this.#queue.push(pending);
        this.#pump();
        // only a request that has to wait gets a queue timer (timers cost on the hot path)
        if (pending.worker === undefined) {
          pending.timer = setTimeout(() => this.#queueTimeout(pending), this.#settings.queueTimeoutMs);
        }
      });
    } finally {
      version.running--;
      if (version.retired && version.running === 0) this.#cache.delete(version.key);
    }
  }

  #usageOf(jobId: string): JobUsage {
    let usage = this.#usage.get(jobId);
    if (usage === undefined) {
      usage = emptyJobUsage();
      this.#usage.set(jobId, usage);
    }
    return usage;
  }

  #log(jobId: string, requestId: string, level: LogEntry['level'], message: string): void {
    this.#settings.onLog?.({ jobId, requestId, level, message });
  }

  /** Starts queued requests on idle workers; an app may hold all but one worker while other apps wait. */
  #pump(): void {
    const workers = this.#pool.workers;
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
        index = this.#queue.findIndex((pending) => (this.#runningPerJob.get(pending.version.jobId) ?? 0) < limit);
        if (index < 0) index = 0;
      }
      const pending = index === 0 ? this.#queue.shift()! : this.#queue.splice(index, 1)[0]!;
      // an idle worker with the app loaded, better one not making a spare instance (that cannot be interrupted)
      let worker = idle;
      let loaded: GuestWorker | undefined;
      for (const candidate of workers) {
        if (
          candidate.alive &&
          candidate.ready &&
          candidate.busyWith === undefined &&
          candidate.loaded.has(pending.version.key)
        ) {
          loaded ??= candidate;
          if (Atomics.load(candidate.control, WORKER_INSTANTIATING) === 0) {
            loaded = candidate;
            break;
          }
        }
      }
      if (loaded !== undefined) worker = loaded;
      this.#start(pending, worker);
    }
  }

  #start(pending: Pending, worker: GuestWorker): void {
    clearTimeout(pending.timer);
    const version = pending.version;
    if (!worker.loaded.has(version.key)) {
      this.#pool.post(worker, {
        type: 'load',
        key: version.key,
        world: version.world,
        gluePath: version.transpiled.gluePath,
        modules: pending.compiled.modules,
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
    worker.busyWith = pending.id;
    pending.worker = worker;
    pending.startedAt = performance.now();
    this.#running.set(pending.id, pending);
    const jobId = version.jobId;
    this.#runningPerJob.set(jobId, (this.#runningPerJob.get(jobId) ?? 0) + 1);
    const body = pending.message.body;
    const transfer =
      body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer
        ? [body.buffer]
        : [];
    this.#pool.post(worker, pending.message, transfer, version.serviceMicros);
    pending.timer = setTimeout(() => this.#deadline(pending), version.limits.timeoutMs);
    if (!pending.cached) {
      // not kept warm (bigger than the cache budget): forget it on this worker after the request
      this.#pool.post(worker, { type: 'unload', key: version.key });
      worker.loaded.delete(version.key);
    }
  }

  #queueTimeout(pending: Pending): void {
    const index = this.#queue.indexOf(pending);
    if (index < 0) return;
    this.#queue.splice(index, 1);
    this.#usageOf(pending.version.jobId).errors++;
    pending.resolve(
      errorResponse(
        'RUNTIME_OVERLOADED',
        `no worker was free within ${this.#settings.queueTimeoutMs} ms; retry later`,
        pending.requestId,
      ),
    );
  }

  #finish(pending: Pending): number {
    clearTimeout(pending.timer);
    this.#running.delete(pending.id);
    const jobId = pending.version.jobId;
    const running = (this.#runningPerJob.get(jobId) ?? 1) - 1;
    if (running === 0) this.#runningPerJob.delete(jobId);
    else this.#runningPerJob.set(jobId, running);
    const wallMs = performance.now() - pending.arrivedAt;
    this.#usageOf(pending.version.jobId).wallMs += wallMs;
    return wallMs;
  }

  #deadline(pending: Pending): void {
    if (!this.#running.has(pending.id)) return;
    const wallMs = this.#finish(pending);
    const usage = this.#usageOf(pending.version.jobId);
    usage.timeouts++;
    usage.errors++;
    // CPU: the guest spun for the whole deadline
    usage.cpuMs += performance.now() - pending.startedAt;
    const worker = pending.worker!;
    const channel = this.#pool.describe(worker);
    this.#workersReplaced++;
    this.#pool.replace(worker);
    const message = `the request ran past its deadline of ${pending.version.limits.timeoutMs} ms and was stopped`;
    this.#log(
      pending.version.jobId,
      pending.requestId,
      'error',
      `${message} (wall ${wallMs.toFixed(0)} ms; ${channel})`,
    );
    this.#fail(pending, 'RUNTIME_TIMEOUT', message);
    this.#pump();
  }

  /** Answers a guest failure: an error response, or, once a streamed response is out, an error on its body. */
  #fail(pending: Pending, code: GuestErrorCode, message: string): void {
    if (pending.stream !== undefined) {
      pending.stream.error(new MuRuntimeError(code, message));
      pending.stream = undefined;
      return;
    }
    pending.resolve(errorResponse(code, message, pending.requestId));
  }

  /** A streaming response's head: hand the Response out now; its body follows as chunks. */
  #onResponseHead(pending: Pending, message: ResponseHeadMessage): void {
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(start) {
        controller = start;
      },
    });
    let response: Response;
    try {
      const headers = new Headers(message.headers);
      headers.set('mu-request-id', pending.requestId);
      response = new Response(NULL_BODY_STATUS.has(message.status) ? null : body, { status: message.status, headers });
    } catch (error) {
      // invalid head: the final message will carry the same head and answer RUNTIME_BAD_RESPONSE
      void error;
      return;
    }
    pending.stream = controller;
    pending.resolve(response);
  }

  #onWorkerExit(worker: GuestWorker, error: unknown): void {
    this.#workersReplaced++;
    const id = worker.busyWith;
    const pending = id === undefined ? undefined : this.#running.get(id);
    if (pending !== undefined) {
      this.#finish(pending);
      const usage = this.#usageOf(pending.version.jobId);
      usage.errors++;
      this.#log(pending.version.jobId, pending.requestId, 'error', `guest worker died: ${String(error)}`);
      pending.resolve(
        errorResponse('RUNTIME_TRAP', 'the guest worker died while running the request', pending.requestId),
      );
    }
    this.#pump();
  }

  #onHostCall(worker: GuestWorker, call: HostCall): void {
    const id = worker.busyWith;
    const pending = id === undefined ? undefined : this.#running.get(id);
    const reply =
      call.op === 'http-fetch'
        ? pending === undefined
          ? Promise.resolve<HostReply>({ ok: false, message: 'HTTP-request-denied' })
          : runOutboundFetch(
              call.args[0] as OutboundRequest,
              pending.version.allowedHosts,
              pending.version.limits.timeoutMs - (performance.now() - pending.startedAt),
              pending.version.limits.maxResponseBytes,
            )
        : runKeyValueCall(pending?.version.namespace, call);
    void reply.then((reply) => this.#pool.reply(worker, reply));
  }

  #onWorkerMessage(worker: GuestWorker, message: FromWorkerMessage): void {
    const pending = this.#running.get(message.id);
    if (message.type === 'response-head' || message.type === 'response-chunk') {
      if (pending === undefined || pending.worker !== worker) return;
      if (message.type === 'response-head') this.#onResponseHead(pending, message);
      else if (pending.stream !== undefined) {
        pending.stream.enqueue(message.chunk);
        this.#usageOf(pending.version.jobId).bytesOut += message.chunk.byteLength;
      }
      return;
    }
    if (worker.busyWith === message.id) {
      worker.busyWith = undefined;
      if (worker.glues.size >= this.#settings.maxAppsPerWorker) {
        // a fresh thread frees the glue modules of apps long gone (warm instances are rebuilt on demand)
        this.#workersReplaced++;
        this.#pool.replace(worker);
      }
    }
    if (pending === undefined || pending.worker !== worker) {
      this.#pump();
      return;
    }
    const wallMs = this.#finish(pending);
    const version = pending.version;
    const usage = this.#usageOf(version.jobId);
    usage.cpuMs += message.busyMs;
    const serviceMicros = (message.busyMs + message.kvWaitMs) * 1000;
    version.serviceMicros =
      version.serviceMicros === undefined ? serviceMicros : version.serviceMicros * 0.8 + serviceMicros * 0.2;
    usage.memoryHighWaterBytes = Math.max(usage.memoryHighWaterBytes, message.memoryBytes);
    usage.memoryMbMs += (message.memoryBytes / 2 ** 20) * wallMs;
    if (message.instantiated) usage.coldStarts++;
    for (const entry of message.logs) this.#log(version.jobId, pending.requestId, entry.level, entry.message);
    this.#pump();
    if (message.type === 'failure') {
      usage.errors++;
      this.#log(version.jobId, pending.requestId, 'error', message.message);
      this.#fail(pending, message.code, message.message);
      return;
    }
    if (pending.stream !== undefined) {
      if (message.body.byteLength > 0) pending.stream.enqueue(message.body);
      usage.bytesOut += message.body.byteLength;
      pending.stream.close();
      pending.stream = undefined;
      return;
    }
    const response = this.#respond(pending, message, wallMs);
    if (response instanceof Response) pending.resolve(response);
    else void response.then(pending.resolve);
  }

  /** Builds the response; asynchronous only when a receipt signer is set. */
  #respond(pending: Pending, message: ResponseMessage, wallMs: number): Response | Promise<Response> {
    const version = pending.version;
    const usage = this.#usageOf(version.jobId);
    let response: Response;
    try {
      const status = message.status;
      response = new Response(
        NULL_BODY_STATUS.has(status) || message.body.byteLength === 0
          ? null
          : (message.body as Uint8Array<ArrayBuffer>),
        { status, headers: withRequestId(message.headers, pending.requestId) },
      );
    } catch (error) {
      usage.errors++;
      const text = `the app answered an invalid response: ${(error as Error).message}`;
      this.#log(version.jobId, pending.requestId, 'error', text);
      return errorResponse('RUNTIME_BAD_RESPONSE', text, pending.requestId);
    }
    usage.bytesOut += message.body.byteLength;
    const sign = this.#settings.signReceipt;
    if (sign === undefined) return response;
    const receipt: Receipt = {
      jobId: version.jobId,
      requestId: pending.requestId,
      sha256: version.sha256,
      status: message.status,
      wallMs,
      cpuMs: message.busyMs,
      memoryBytes: message.memoryBytes,
      bytesIn: pending.bytesIn,
      bytesOut: message.body.byteLength,
      at: Date.now(),
    };
    // a failing signer must not lose the app's answer: it is logged and the response goes out unsigned
    return new Promise<string>((resolve) => resolve(sign(receipt))).then(
      (signature) => {
        response.headers.set('mu-receipt', signature);
        return response;
      },
      (error: unknown) => {
        this.#log(version.jobId, pending.requestId, 'error', `signing the receipt failed: ${String(error)}`);
        return response;
      },
    );
  }

  takeUsage(): Map<string, JobUsage> {
    const taken = new Map<string, JobUsage>();
    for (const [jobId, usage] of this.#usage) {
      const kv = this.#db.namespace(jobId).takeUsage();
      taken.set(jobId, {
        ...usage,
        kvReads: kv.reads,
        kvWrites: kv.writes,
        kvBytesRead: kv.bytesRead,
        kvBytesWritten: kv.bytesWritten,
        kvStoredBytes: kv.storedBytes,
      });
    }
    this.#usage.clear();
    return taken;
  }

  stats(): RuntimeStats {
    const cache = this.#cache.stats();
    return {
      jobs: this.#jobs.size,
      queued: this.#queue.length,
      running: this.#running.size,
      workersReplaced: this.#workersReplaced,
      cache: {
        hits: cache.hits,
        misses: cache.misses,
        evictions: cache.evictions,
        usedBytes: cache.usedBytes,
        size: this.#cache.size,
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const pending of this.#queue.splice(0)) {
      clearTimeout(pending.timer);
      pending.resolve(errorResponse('RUNTIME_OVERLOADED', 'the runtime closed', pending.requestId));
    }
    for (const pending of this.#running.values()) {
      clearTimeout(pending.timer);
      this.#fail(pending, 'RUNTIME_OVERLOADED', 'the runtime closed');
    }
    this.#running.clear();
    this.#runningPerJob.clear();
    await this.#pool.close();
    if (this.#ownsDb) await this.#db.close();
  }
}

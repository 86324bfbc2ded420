import { randomUUID } from 'node:crypto';
import { type MuDB, openMuDB } from '@mu/mudb';
import { KeepAliveCache } from '../cache/index.js';
import { JobExistsError, JobNotFoundError, RuntimeClosedError } from '../errors.js';
import { AppCompiler, type CompiledApp, type CompiledForRequest } from './app-compiler.js';
import { AppRegistry, type AppVersion, type Registration, registrationOf } from './app-registry.js';
import { type JobUsage, UsageMeter } from './metering.js';
import {
  type AppOptions,
  checkJobId,
  type RuntimeOptions,
  type RuntimeSettings,
  resolveRuntimeSettings,
} from './options.js';
import { guestErrorResponse, readBody } from './responses.js';
import { type InFlightRequest, Scheduler } from './scheduler.js';

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
  /**
   * Proxy-world spare instances the workers have yet to make for the apps they hold (0: every such app has its
   * `spareInstances` ready on every worker that runs it).
   */
  sparesToMake: number;
  cache: { hits: number; misses: number; evictions: number; usedBytes: number; size: number };
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
  const settings = resolveRuntimeSettings(options);
  const ownsDb = options.mudb === undefined;
  const db = options.mudb ?? (await openMuDB());
  return new MuRuntime(db, ownsDb, settings);
}

/**
 * The runtime: registration through the {@link AppRegistry}, cold starts through the {@link AppCompiler}, requests
 * through the {@link Scheduler}. `fetch` is the hot path: a warm request without a body runs it without an await
 * until it waits for its answer.
 */
class MuRuntime implements Runtime {
  readonly #db: MuDB;
  readonly #ownsDb: boolean;
  readonly #registry: AppRegistry;
  /** The registry's current versions (read on every request). */
  readonly #jobs: Map<string, AppVersion>;
  readonly #cache: KeepAliveCache<CompiledApp>;
  readonly #compiler: AppCompiler;
  readonly #scheduler: Scheduler;
  readonly #usage = new UsageMeter();
  readonly #onLog: RuntimeSettings['onLog'];
  readonly #sweeper: NodeJS.Timeout;
  #nextId = 1;
  #closed = false;

  constructor(db: MuDB, ownsDb: boolean, settings: RuntimeSettings) {
    this.#db = db;
    this.#ownsDb = ownsDb;
    this.#onLog = settings.onLog;
    this.#registry = new AppRegistry(db, settings.defaultLimits, settings.cacheDir);
    this.#jobs = this.#registry.versions;
    this.#cache = new KeepAliveCache<CompiledApp>({
      budgetBytes: settings.budgetBytes,
      ...(settings.policy === undefined ? {} : { policy: settings.policy }),
      onEvict: (key) => this.#scheduler.unloadEverywhere(key),
    });
    this.#compiler = new AppCompiler(this.#cache, settings);
    this.#scheduler = new Scheduler(settings, this.#usage);
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
    const version = await this.#registry.prepare(jobId, options);
    if (this.#closed) throw new RuntimeClosedError();
    if (this.#jobs.has(jobId)) throw new JobExistsError(jobId);
    this.#jobs.set(jobId, version);
    return registrationOf(version);
  }

  async update(jobId: string, options: AppOptions): Promise<Registration> {
    checkJobId(jobId);
    if (this.#closed) throw new RuntimeClosedError();
    if (!this.#jobs.has(jobId)) throw new JobNotFoundError(jobId);
    const version = await this.#registry.prepare(jobId, options);
    const previous = this.#jobs.get(jobId);
    if (previous === undefined) throw new JobNotFoundError(jobId);
    this.#jobs.set(jobId, version);
    this.#retire(previous);
    return registrationOf(version);
  }

  async unregister(jobId: string): Promise<void> {
    checkJobId(jobId);
    const version = this.#jobs.get(jobId);
    if (version === undefined) throw new JobNotFoundError(jobId);
    this.#jobs.delete(jobId);
    this.#retire(version);
  }

  /** A version no longer current: its compiled code goes once its last request is answered. */
  #retire(version: AppVersion): void {
    version.retired = true;
    if (version.running === 0) this.#cache.delete(version.key);
  }

  async fetch(jobId: string, request: Request): Promise<Response> {
    if (this.#closed) throw new RuntimeClosedError();
    const version = this.#jobs.get(jobId);
    if (version === undefined) throw new JobNotFoundError(jobId);
    if (!(request instanceof Request)) throw new TypeError('request must be a Request');
    const arrivedAt = performance.now();
    const requestId = randomUUID();
    const usage = this.#usage.of(jobId);
    usage.requests++;
    version.running++;
    try {
      // the common cases stay free of awaits: no body, and an app already compiled
      const body = request.body === null ? new Uint8Array(0) : await readBody(request, version.limits.maxBodyBytes);
      if (body === undefined) {
        usage.errors++;
        return guestErrorResponse(
          'RUNTIME_REQUEST_TOO_LARGE',
          `the request body exceeds the limit of ${version.limits.maxBodyBytes} bytes`,
          requestId,
        );
      }
      usage.bytesIn += body.byteLength;
      let compiled: CompiledForRequest;
      try {
        const hit = this.#cache.get(version.key);
        compiled = hit === undefined ? await this.#compiler.compileMissed(version) : { compiled: hit, cached: true };
      } catch (error) {
        usage.errors++;
        this.#log(jobId, requestId, `load failed: ${String((error as Error).cause ?? error)}`);
        return guestErrorResponse('RUNTIME_LOAD_FAILED', (error as Error).message, requestId);
      }
      if (this.#closed) throw new RuntimeClosedError();
      const id = this.#nextId++;
      const headers: [string, string][] = [];
      request.headers.forEach((value, name) => {
        headers.push([name, value]);
      });
      return await new Promise<Response>((resolve) => {
        const inFlight: InFlightRequest = {
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
        this.#scheduler.submit(inFlight);
      });
    } finally {
      version.running--;
      if (version.retired && version.running === 0) this.#cache.delete(version.key);
    }
  }

  #log(jobId: string, requestId: string, message: string): void {
    this.#onLog?.({ jobId, requestId, level: 'error', message });
  }

  takeUsage(): Map<string, JobUsage> {
    return this.#usage.take(this.#db);
  }

  stats(): RuntimeStats {
    const cache = this.#cache.stats();
    return {
      jobs: this.#jobs.size,
      queued: this.#scheduler.queued,
      running: this.#scheduler.running,
      workersReplaced: this.#scheduler.workersReplaced,
      sparesToMake: this.#scheduler.pool.sparesToMake(),
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
    await this.#scheduler.close();
    if (this.#ownsDb) await this.#db.close();
  }
}

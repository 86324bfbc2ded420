/** What a runtime and its apps are configured with, the defaults, and the checks at the boundary. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MuDB } from '@mu/mudb';
import type { KeepAlivePolicy } from '../cache/index.js';
import type { LogEntry } from '../threads/messages.js';
import { DEFAULT_SPIN_MICROS } from '../threads/wake-channel.js';
import type { Receipt } from './receipt.js';

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

/**
 * The limits the runtime gives an app whose job spec sets none: the job spec's `limits` (`maxResponseBytes` is not
 * part of the spec; its default is 8 MiB). The one source of these defaults (the CLI's config, templates and dev
 * server import it).
 *
 * @example
 * ```ts
 * const spec = { version: 1, name: 'hello', limits: { ...DEFAULT_APP_LIMITS, timeoutMs: 2_000 } };
 * ```
 */
export const DEFAULT_APP_LIMITS: Readonly<Pick<AppLimits, 'memoryMb' | 'timeoutMs' | 'maxBodyBytes'>> = Object.freeze({
  memoryMb: 128,
  timeoutMs: 10_000,
  maxBodyBytes: 1_048_576,
});

/** Every limit's default, `maxResponseBytes` included. */
const DEFAULT_LIMITS: AppLimits = { ...DEFAULT_APP_LIMITS, maxResponseBytes: 8 << 20 };

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

/** The runtime's options, checked and with their defaults (the MuDB aside). */
export interface RuntimeSettings {
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

/**
 * Checks the options of {@link createRuntime} and fills in the defaults.
 * @throws TypeError, RangeError on bad options
 */
export function resolveRuntimeSettings(options: RuntimeOptions): RuntimeSettings {
  if (options === null || typeof options !== 'object') throw new TypeError('createRuntime options must be an object');
  const workerCount = options.workers ?? 2;
  if (!Number.isInteger(workerCount) || workerCount < 1 || workerCount > 256) {
    throw new RangeError('workers must be an integer from 1 to 256');
  }
  const defaultLimits = resolveLimits(options.defaultLimits, DEFAULT_LIMITS, 'defaultLimits');
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
  return {
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
  };
}

/**
 * An app's limits: `limits` over `base`, each a positive number.
 * @throws TypeError, RangeError naming `what`
 */
export function resolveLimits(limits: Partial<AppLimits> | undefined, base: AppLimits, what: string): AppLimits {
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

/** @throws TypeError, RangeError unless `jobId` is a string of 1 to 255 UTF-8 bytes */
export function checkJobId(jobId: unknown): asserts jobId is string {
  if (typeof jobId !== 'string') throw new TypeError('jobId must be a string');
  const length = Buffer.byteLength(jobId);
  if (length === 0 || length > 255) throw new RangeError('jobId must be 1 to 255 UTF-8 bytes');
}

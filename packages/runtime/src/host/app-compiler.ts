/**
 * Cold starts: an app version's core modules compiled on the main thread (the workers receive compiled modules),
 * their memory capped, and the result sized for the keep-alive cache.
 */
import { setFlagsFromString } from 'node:v8';
import type { KeepAliveCache } from '../cache/index.js';
import { LoadError } from '../errors.js';
import { readCoreModules } from '../transpile/transpile-cache.js';
import { capMemories } from '../transpile/wasm-binary.js';
import type { AppVersion } from './app-registry.js';
import type { RuntimeSettings } from './options.js';

// QuickJS components use extended-const, which Node 20 only accepts behind this flag (process-wide, so
// the guest workers compile nothing themselves: they receive compiled modules).
setFlagsFromString('--experimental-wasm-extended-const');

/** An app version's compiled core modules, by the names its glue asks for. */
export interface CompiledApp {
  modules: Record<string, WebAssembly.Module>;
}

/** A compiled app as a request gets it. */
export interface CompiledForRequest {
  compiled: CompiledApp;
  /** Whether the compiled app is in the keep-alive cache (else it is unloaded after this request). */
  cached: boolean;
}

/** Compiles the app versions the keep-alive cache misses, and puts them in it. */
export class AppCompiler {
  readonly #cache: KeepAliveCache<CompiledApp>;
  readonly #settings: RuntimeSettings;
  /** Compilations under way, by version key: concurrent misses share one. */
  readonly #compiling = new Map<string, Promise<CompiledApp>>();
  /** Versions whose size was reported as over the cache budget (once each). */
  readonly #warnedTooLarge = new WeakSet<AppVersion>();

  constructor(cache: KeepAliveCache<CompiledApp>, settings: RuntimeSettings) {
    this.#cache = cache;
    this.#settings = settings;
  }

  /**
   * Compiles a version the keep-alive cache missed (a cold start); one compilation for concurrent misses.
   * @throws LoadError when its core modules cannot be read or compiled
   */
  async compileMissed(version: AppVersion): Promise<CompiledForRequest> {
    let compiling = this.#compiling.get(version.key);
    if (compiling === undefined) {
      compiling = this.#compileAndCache(version);
      this.#compiling.set(version.key, compiling);
      compiling.then(
        () => this.#compiling.delete(version.key),
        () => this.#compiling.delete(version.key),
      );
    }
    const compiled = await compiling;
    return { compiled, cached: this.#cache.has(version.key) };
  }

  /** Compiles a version's core modules (memory maxima rewritten to its cap) and offers them to the cache. */
  async #compileAndCache(version: AppVersion): Promise<CompiledApp> {
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
}

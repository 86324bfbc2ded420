/** The registry of apps: each job's current version (code, settings, MuDB namespace), checked when registered. */
import type { MuDB, Namespace } from '@mu/mudb';
import { HashMismatchError, NotAComponentError } from '../errors.js';
import { type TranspiledComponent, transpileCached } from '../transpile/transpile-cache.js';
import { sha256Hex, wasmKind } from '../transpile/wasm-binary.js';
import { classifyComponent, type World } from '../transpile/worlds.js';
import { type AppLimits, type AppOptions, resolveLimits } from './options.js';

/** One version of one job's app: what `register` or `update` set up; requests run on the version they found. */
export interface AppVersion {
  /** `<jobId>#<n>`: names this version in the keep-alive cache and on the workers. */
  key: string;
  jobId: string;
  sha256: string;
  world: World;
  transpiled: TranspiledComponent;
  limits: AppLimits;
  env: [string, string][];
  allowedHosts: string[];
  namespace: Namespace;
  /** Requests of this version being answered. */
  running: number;
  /** Replaced or unregistered: its compiled code is dropped once `running` is 0. */
  retired: boolean;
  /** Moving average of the time a request spends in the guest (KV waits included), µs; undefined before the first. */
  serviceMicros: number | undefined;
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

/** The registered jobs and how a new version of one is made. */
export class AppRegistry {
  /** The current version of each job, by job id. */
  readonly versions = new Map<string, AppVersion>();
  readonly #db: MuDB;
  readonly #defaultLimits: AppLimits;
  readonly #cacheDir: string;
  #versionsMade = 0;

  constructor(db: MuDB, defaultLimits: AppLimits, cacheDir: string) {
    this.#db = db;
    this.#defaultLimits = defaultLimits;
    this.#cacheDir = cacheDir;
  }

  /**
   * Makes a new version of a job's app (not yet current): checks the options, that the bytes are a component with
   * the expected hash, transpiles it (disk cache by sha256) and classifies its world.
   * @throws TypeError, RangeError on bad options; NotAComponentError, HashMismatchError, WrongWorldError,
   *   MissingExportError, UnsupportedImportError, TranspileError
   */
  async prepare(jobId: string, options: AppOptions): Promise<AppVersion> {
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
    const limits = resolveLimits(options.limits, this.#defaultLimits, 'limits');
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
    const transpiled = await transpileCached(this.#cacheDir, sha256, load);
    const shape = classifyComponent(transpiled.imports, transpiled.exports, transpiled.versionedImports);
    const namespace = this.#db.namespace(
      jobId,
      quotaBytes === undefined ? {} : { quota: { maxStoredBytes: quotaBytes } },
    );
    return {
      key: `${jobId}#${++this.#versionsMade}`,
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
}

/** What `register` and `update` answer about a version. */
export function registrationOf(version: AppVersion): Registration {
  return {
    jobId: version.jobId,
    sha256: version.sha256,
    world: version.world,
    imports: version.transpiled.imports,
    transpileCached: version.transpiled.fromCache,
  };
}

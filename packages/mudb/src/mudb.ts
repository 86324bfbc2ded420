import { MemoryLevel } from 'memory-level';
import type { MuBackend } from './backend.js';
import type { AnyLevel } from './level/abstract-level.js';
import { LevelBackend, type LevelBackendOptions } from './level/level-backend.js';
import { checkName } from './names.js';
import { Namespace } from './namespace.js';
import { type Quota, resolveQuota } from './quota.js';
import type { StoreState } from './store-state.js';
import type { Usage } from './usage.js';

/** Options of {@link openMuDB}: at most one of `backend` and `level`. */
export interface OpenMuDBOptions {
  /** Any {@link MuBackend} (the MuDB server's client, PostgreSQL, your own). */
  backend?: MuBackend;
  /** Any abstract-level database; wrapped in a {@link LevelBackend}. */
  level?: AnyLevel;
  /** Options of the {@link LevelBackend} made for `level` or for the default memory-level. */
  levelOptions?: LevelBackendOptions;
}

/**
 * Opens MuDB: memory-level when nothing is given, any abstract-level database with `level`, or any
 * {@link MuBackend}.
 *
 * @example
 * ```ts
 * const db = await openMuDB();
 * const bucket = db.namespace('job-1').bucket('default');
 * await bucket.set('greeting', 'hello');
 * ```
 * @throws TypeError when both `backend` and `level` are given; BackendError when the storage fails to open
 */
export async function openMuDB(options: OpenMuDBOptions = {}): Promise<MuDB> {
  if (options === null || typeof options !== 'object') throw new TypeError('openMuDB options must be an object');
  if (options.backend !== undefined && options.level !== undefined) {
    throw new TypeError('Pass either `backend` or `level` to openMuDB, not both');
  }
  const backend =
    options.backend ??
    new LevelBackend(
      options.level ?? new MemoryLevel({ storeEncoding: 'view', keyEncoding: 'view', valueEncoding: 'view' }),
      options.levelOptions,
    );
  const db = new MuDB(backend);
  await db.open();
  return db;
}

/**
 * The store: one isolated {@link Namespace} per job, each holding named {@link Bucket}s.
 */
export class MuDB {
  readonly #core: StoreState;
  readonly #namespaces = new Map<string, Namespace>();

  constructor(backend: MuBackend) {
    if (backend === null || typeof backend !== 'object' || typeof backend.write !== 'function') {
      throw new TypeError('MuDB needs a MuBackend');
    }
    this.#core = { backend, open: false, copyReads: !backend.supports.permanence };
  }

  /** The backend's capability manifest. */
  get supports(): MuBackend['supports'] {
    return this.#core.backend.supports;
  }

  /** Whether the store is open. */
  get isOpen(): boolean {
    return this.#core.open;
  }

  /** Opens the backend (openMuDB does it for you). */
  async open(): Promise<void> {
    if (this.#core.open) return;
    await this.#core.backend.open();
    this.#core.open = true;
  }

  /** Closes the backend; every later operation fails with `MUDB_NOT_OPEN`. */
  async close(): Promise<void> {
    if (!this.#core.open) return;
    this.#core.open = false;
    await this.#core.backend.close();
  }

  /**
   * The namespace of one job (created on first use; the same object on every call). A `quota` given here
   * replaces the namespace's current quota.
   * @param name 1 to 255 UTF-8 bytes; any characters
   * @throws TypeError, RangeError on a bad name or quota
   */
  namespace(name: string, options: { quota?: Quota } = {}): Namespace {
    const existing = this.#namespaces.get(name);
    if (existing !== undefined) {
      if (options.quota !== undefined) existing.quota = resolveQuota(options.quota);
      return existing;
    }
    checkName(name, 'namespace');
    const namespace = new Namespace(this.#core, name, resolveQuota(options.quota));
    this.#namespaces.set(name, namespace);
    return namespace;
  }

  /** Usage of every namespace used since the last call, keyed by namespace; resets the counters. */
  takeUsage(): Map<string, Usage> {
    const usage = new Map<string, Usage>();
    for (const [name, namespace] of this.#namespaces) usage.set(name, namespace.takeUsage());
    return usage;
  }
}

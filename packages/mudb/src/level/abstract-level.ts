/**
 * Any abstract-level database, whatever its default encodings: the part of abstract-level's public API
 * MuDB uses, typed structurally so that `ClassicLevel`, `MemoryLevel`, sublevels and custom classes fit
 * without casts (abstract-level's own generic types are invariant).
 */
export interface AnyLevel {
  readonly status: string;
  readonly supports: object;
  open(): Promise<void>;
  close(): Promise<void>;
  get(key: Uint8Array, options?: object): Promise<unknown>;
  getSync(key: Uint8Array, options?: object): unknown;
  getMany(keys: Uint8Array[], options?: object): Promise<unknown[]>;
  put(key: Uint8Array, value: Uint8Array, options?: object): Promise<void>;
  del(key: Uint8Array, options?: object): Promise<void>;
  batch(operations: LevelBatchOperation[], options?: object): Promise<void>;
  keys(options: object): { all(): Promise<unknown[]> };
  iterator(options: object): {
    nextv(size: number): Promise<unknown[]>;
    all(): Promise<unknown[]>;
    close(): Promise<void>;
  };
}

/** A write in abstract-level's batch form. */
export type LevelBatchOperation =
  | { type: 'put'; key: Uint8Array; value: Uint8Array }
  | { type: 'del'; key: Uint8Array };

/**
 * The private API every abstract-level implementation provides (abstract-level's "private API for
 * implementors"). MuDB calls it directly on the hot path when it is safe (see {@link implementerApi} and
 * {@link unhooked}), because the public methods' extra promise layers cost as much as the storage operation
 * itself on memory-level.
 */
export interface LevelPrivate {
  _getSync(key: Uint8Array, options: object): Uint8Array | undefined;
  _put(key: Uint8Array, value: Uint8Array, options?: object): Promise<void>;
  _del(key: Uint8Array, options?: object): Promise<void>;
  _batch(operations: object[], options: object): Promise<void>;
  prefixKey(key: Uint8Array, format: 'view', local: boolean): Uint8Array;
  hooks: { prewrite: { noop: boolean } };
  listenerCount(event: string): number;
  db?: LevelPrivate;
}

/** The encodings MuDB reads and writes with: bytes in, bytes out. */
export const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const;

/** The implementer API of an open database, when it can take it: bytes natively and a synchronous read. */
export function implementerApi(db: AnyLevel): LevelPrivate | undefined {
  const supports = db.supports as { encodings?: Record<string, boolean>; getSync?: boolean };
  const candidate = db as unknown as LevelPrivate;
  return supports.encodings?.view === true && supports.getSync === true && typeof candidate._put === 'function'
    ? candidate
    : undefined;
}

/** The implementer API if it may be used for this call: no hook or listener would be bypassed. */
export function unhooked(direct: LevelPrivate | undefined): LevelPrivate | undefined {
  if (direct === undefined || !direct.hooks.prewrite.noop || direct.listenerCount('write') > 0) return undefined;
  const root = direct.db;
  if (root !== undefined && root !== direct && (!root.hooks.prewrite.noop || root.listenerCount('write') > 0)) {
    return undefined;
  }
  return direct;
}

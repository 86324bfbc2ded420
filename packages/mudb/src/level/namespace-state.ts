import { hashBytes, lengthPrefixed, prefixUpperBound, utf8 } from '../bytes.js';
import { BackendError } from '../errors.js';
import { type AnyLevel, VIEW } from './abstract-level.js';
import type { SizeIndex } from './size-index.js';

/** What the level backend keeps per namespace: where its keys live, and how many bytes it stores. */
export interface NamespaceState {
  readonly prefix: Uint8Array;
  readonly upperBound: Uint8Array;
  /** Stored bytes (keys + values), loaded by one scan on first use, then kept exact by every write. */
  stored: number;
  loading: Promise<void> | undefined;
  loaded: boolean;
}

/** The state of a namespace not yet scanned: its length-prefixed key range, nothing counted. */
export function newNamespaceState(name: string): NamespaceState {
  const prefix = lengthPrefixed(utf8(name));
  return { prefix, upperBound: prefixUpperBound(prefix)!, stored: 0, loading: undefined, loaded: false };
}

/**
 * Loads the namespace's stored bytes with one key+value scan (once per process; concurrent callers share it),
 * filling `sizes` with the value lengths it meets.
 * @throws BackendError when the scan fails (a later call scans again)
 */
export async function loadStoredBytes(
  db: AnyLevel,
  state: NamespaceState,
  sizes: SizeIndex | undefined,
): Promise<void> {
  if (state.loaded) return;
  state.loading ??= (async () => {
    let total = 0;
    try {
      const iterator = db.iterator({ ...VIEW, gte: state.prefix, lt: state.upperBound });
      try {
        for (;;) {
          const entries = (await iterator.nextv(1000)) as [Uint8Array, Uint8Array][];
          if (entries.length === 0) break;
          for (const [key, value] of entries) {
            total += key.length - state.prefix.length + value.length;
            sizes?.set(hashBytes(key), key, value.length);
          }
        }
      } finally {
        await iterator.close();
      }
    } catch (error) {
      state.loading = undefined;
      throw new BackendError('scan', error);
    }
    state.stored = total;
    state.loaded = true;
  })();
  await state.loading;
}

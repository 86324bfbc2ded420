import { Bucket } from './bucket.js';
import { NotOpenError } from './errors.js';
import { checkName } from './names.js';
import type { ResolvedQuota } from './quota.js';
import type { StoreState } from './store-state.js';
import { emptyUsage, type Usage } from './usage.js';

/** One job's isolated part of the store, with its quota and its meter. */
export class Namespace {
  /** The limits every write in this namespace is checked against. */
  quota: ResolvedQuota;
  readonly #core: StoreState;
  readonly #buckets = new Map<string, Bucket>();
  /** @internal the live meter, written by buckets */
  readonly meter: Usage = emptyUsage();

  /** @internal use {@link MuDB.namespace} */
  constructor(
    core: StoreState,
    readonly name: string,
    quota: ResolvedQuota,
  ) {
    this.#core = core;
    this.quota = quota;
  }

  /**
   * A named bucket (wasi:keyvalue `store.open(identifier)`), the same object on every call.
   * @param name 1 to 255 UTF-8 bytes (default `"default"`)
   */
  bucket(name = 'default'): Bucket {
    let bucket = this.#buckets.get(name);
    if (bucket === undefined) {
      checkName(name, 'bucket');
      bucket = new Bucket(this.#core, this, name);
      this.#buckets.set(name, bucket);
    }
    return bucket;
  }

  /** Returns what the namespace used since the last call and resets the counters (not `storedBytes`). */
  takeUsage(): Usage {
    const meter = this.meter;
    const taken = { ...meter };
    meter.reads = 0;
    meter.writes = 0;
    meter.bytesRead = 0;
    meter.bytesWritten = 0;
    return taken;
  }

  /** Bytes (keys + values) the namespace holds, read from the backend. */
  async storedBytes(): Promise<number> {
    if (!this.#core.open) throw new NotOpenError();
    const stored = await this.#core.backend.storedBytes(this.name);
    this.meter.storedBytes = stored;
    return stored;
  }
}

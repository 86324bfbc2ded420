/**
 * wasi:keyvalue 0.2.0-draft2 for guests, synchronous in the guest: each call posts to the main thread, which
 * runs the MuDB operation in the job's namespace, while the worker busy-waits for the reply a short while, then
 * blocks on Atomics.wait. The same channel ({@link HostCallClient}) carries a proxy-world guest's outbound HTTP
 * requests.
 */
import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import type { HostCall, HostOperation, HostPortMessage, HostReply } from '../threads/messages.js';
import type { Slot } from '../threads/slot-codec.js';
import {
  CALL_SLOT,
  HOST_CALLS,
  HOST_REPLY,
  MAIN_PARKED,
  REPLY_IN_SLOT,
  SPIN_READY,
  spinFor,
} from '../threads/wake-channel.js';

/** A wasi:keyvalue `error` value, thrown as a result's error payload (jco's convention). */
type KeyValueError = { tag: 'no-such-store' } | { tag: 'access-denied' } | { tag: 'other'; val: string };

/** A stuck main thread must not hang a worker forever (the request deadline normally ends it first). */
const HOST_WAIT_LIMIT_MS = 60_000;

/** Synchronous calls from a guest to the main thread (MuDB, outbound HTTP), across threads. */
export class HostCallClient {
  readonly #port: MessagePort;
  readonly #control: Int32Array;
  readonly #toWorker: Slot;
  readonly #fromWorker: Slot;
  readonly #spinMicros: number;
  /** Milliseconds spent blocked since the last {@link takeWaitMs}. */
  #waitMs = 0;
  /**
   * Whether a request is running: the main thread charges a host call to the request its worker runs, so a call
   * made outside one (a start function run while a spare instance is made) is refused here.
   */
  inRequest = false;
  readonly #replied = (): boolean => Atomics.load(this.#control, HOST_REPLY) !== 0;

  constructor(port: MessagePort, control: Int32Array, slots: { toWorker: Slot; fromWorker: Slot }, spinMicros: number) {
    this.#port = port;
    this.#control = control;
    this.#toWorker = slots.toWorker;
    this.#fromWorker = slots.fromWorker;
    this.#spinMicros = spinMicros;
  }

  call(op: HostOperation, bucket: string, args: unknown[]): unknown {
    if (!this.inRequest) {
      throw { tag: 'other', val: 'host calls are allowed only while a request runs' } satisfies KeyValueError;
    }
    const started = performance.now();
    const control = this.#control;
    const call: HostCall = { op, bucket, args };
    Atomics.store(control, HOST_REPLY, 0);
    if (this.#fromWorker.writeCall(call)) {
      Atomics.add(control, CALL_SLOT, 1);
      if (Atomics.load(control, MAIN_PARKED) === 1) this.#post({ type: 'wake' });
    } else {
      this.#post(call);
    }
    let outcome = 'ok';
    if (spinFor(this.#replied, this.#spinMicros) !== SPIN_READY) {
      outcome = Atomics.wait(control, HOST_REPLY, 0, HOST_WAIT_LIMIT_MS);
    }
    const where = Atomics.load(control, HOST_REPLY);
    let reply: HostReply | undefined;
    if (where === REPLY_IN_SLOT) reply = this.#toWorker.readReply();
    else if (where !== 0) reply = receiveMessageOnPort(this.#port)?.message as HostReply | undefined;
    this.#waitMs += performance.now() - started;
    if (reply === undefined) {
      throw { tag: 'other', val: `the host did not answer (${outcome})` } satisfies KeyValueError;
    }
    if (!reply.ok) throw { tag: 'other', val: reply.message } satisfies KeyValueError;
    return reply.value;
  }

  #post(message: HostPortMessage): void {
    this.#port.postMessage(message);
    Atomics.add(this.#control, HOST_CALLS, 1);
  }

  takeWaitMs(): number {
    const ms = this.#waitMs;
    this.#waitMs = 0;
    return ms;
  }
}

const encoder = new TextEncoder();

/** Builds the three wasi:keyvalue import objects over a client. */
export function createKeyValueImports(client: HostCallClient): Record<string, Record<string, unknown>> {
  class Bucket {
    constructor(readonly name: string) {}
    get(key: string): Uint8Array | undefined {
      return client.call('get', this.name, [key]) as Uint8Array | undefined;
    }
    set(key: string, value: Uint8Array): void {
      client.call('set', this.name, [key, value]);
    }
    delete(key: string): void {
      client.call('delete', this.name, [key]);
    }
    exists(key: string): boolean {
      return client.call('exists', this.name, [key]) as boolean;
    }
    listKeys(cursor: string | undefined): { keys: string[]; cursor: string | undefined } {
      return client.call('list-keys', this.name, [cursor]) as { keys: string[]; cursor: string | undefined };
    }
  }

  class Cas {
    /** @param current what the key held when the handle was made (undefined = absent) */
    constructor(
      readonly bucket: Bucket,
      readonly key: string,
      readonly snapshot: Uint8Array | undefined,
    ) {}
    static new(bucket: Bucket, key: string): Cas {
      return new Cas(bucket, key, bucket.get(key));
    }
    current(): Uint8Array | undefined {
      return this.snapshot;
    }
  }

  return {
    'wasi:keyvalue/store': {
      Bucket,
      open(identifier: string): Bucket {
        const length = encoder.encode(identifier).length;
        if (length === 0 || length > 255) throw { tag: 'no-such-store' } satisfies KeyValueError;
        return new Bucket(identifier);
      },
    },
    'wasi:keyvalue/atomics': {
      Cas,
      increment(bucket: Bucket, key: string, delta: bigint): bigint {
        return client.call('increment', bucket.name, [key, delta]) as bigint;
      },
      swap(cas: Cas, value: Uint8Array): void {
        let swapped: boolean;
        try {
          swapped = client.call('compare-and-swap', cas.bucket.name, [cas.key, cas.snapshot, value]) as boolean;
        } catch (error) {
          throw { tag: 'store-error', val: error };
        }
        if (!swapped) throw { tag: 'cas-failed', val: Cas.new(cas.bucket, cas.key) };
      },
    },
    'wasi:keyvalue/batch': {
      getMany(bucket: Bucket, keys: string[]): [string, Uint8Array | undefined][] {
        const values = client.call('get-many', bucket.name, [keys]) as (Uint8Array | undefined)[];
        return keys.map((key, index) => [key, values[index]]);
      },
      setMany(bucket: Bucket, entries: [string, Uint8Array][]): void {
        client.call('set-many', bucket.name, [entries]);
      },
      deleteMany(bucket: Bucket, keys: string[]): void {
        client.call('delete-many', bucket.name, [keys]);
      },
    },
  };
}

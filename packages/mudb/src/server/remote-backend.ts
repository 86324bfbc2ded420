import { connect, type Socket } from 'node:net';
import type {
  BackendCapabilities,
  CompareAndSwapResult,
  Entry,
  IncrementResult,
  MuBackend,
  RangeOptions,
  WriteLimits,
  WriteOperation,
} from '../backend.js';
import {
  AuthError,
  BackendError,
  BadCursorError,
  BatchTooLargeError,
  ConnectionError,
  ConnectionLostError,
  CounterOverflowError,
  ForbiddenError,
  KeyTooLargeError,
  MuDBError,
  type MuDBErrorCode,
  NotACounterError,
  NotOpenError,
  ProtocolError,
  QuotaExceededError,
  ValueTooLargeError,
} from '../errors.js';
import { clientProof, nonce, sameMac, secretBytes, serverProof } from './auth.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  FrameDecoder,
  FrameReader,
  FrameType,
  FrameWriter,
  PROTOCOL_VERSION,
  WRITE_TYPES,
} from './protocol.js';

/** Options of {@link RemoteBackend}: where the server is and who this client is. */
export interface RemoteBackendOptions {
  /** TCP host (default 127.0.0.1) and port, or a Unix socket `path`. */
  host?: string;
  port?: number;
  path?: string;
  clientId: string;
  secret: string | Uint8Array;
  /** How long `open` and queued requests wait for a connection (default 5 s). */
  connectTimeoutMs?: number;
  /** How long a sent request waits for its answer (default 30 s). */
  requestTimeoutMs?: number;
  /** Reconnect back-off bounds (default 50 ms doubling to 2 s, with jitter). */
  reconnect?: { minDelayMs?: number; maxDelayMs?: number };
}

interface Pending {
  readonly type: number;
  readonly frame: Uint8Array;
  readonly resolve: (reader: FrameReader) => void;
  readonly reject: (error: unknown) => void;
  readonly operation: string;
  readonly since: number;
  sent: boolean;
  resent: boolean;
}

const MAX_ID = 0xffff_ffff;

/**
 * A MuBackend that is a client of a MuDB server: every node of a provider opens one, and all of them see
 * the same store. Requests are pipelined on one connection. When the connection drops the client
 * reconnects with back-off; reads in flight are sent again once, writes in flight fail with
 * `ConnectionLostError` and are never resent, so no write is ever applied twice.
 *
 * @example
 * ```ts
 * const db = await openMuDB({
 *   backend: new RemoteBackend({ port: 7070, clientId: 'node-1', secret: process.env.MUDB_SECRET! }),
 * });
 * ```
 */
export class RemoteBackend implements MuBackend {
  readonly supports: BackendCapabilities = Object.freeze({
    sharedAcrossProcesses: true,
    atomics: 'global',
    permanence: true,
    getSync: false,
    maxBatchSize: 10_000,
  });
  readonly #options: RemoteBackendOptions;
  readonly #secret: Uint8Array;
  readonly #connectTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #minDelay: number;
  readonly #maxDelay: number;
  readonly #pending = new Map<number, Pending>();
  /** Requests waiting for a connection. */
  #queue: Pending[] = [];
  #socket: Socket | undefined;
  #ready = false;
  #closed = true;
  #nextId = 1;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #opening: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  #maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  #fatal: Error | undefined;

  constructor(options: RemoteBackendOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    if (options.path === undefined && (typeof options.port !== 'number' || !Number.isInteger(options.port))) {
      throw new TypeError('RemoteBackend needs a port or a Unix socket path');
    }
    if (typeof options.clientId !== 'string' || options.clientId.length === 0) {
      throw new TypeError('RemoteBackend needs a clientId');
    }
    this.#options = options;
    this.#secret = secretBytes(options.secret);
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#minDelay = options.reconnect?.minDelayMs ?? 50;
    this.#maxDelay = options.reconnect?.maxDelayMs ?? 2000;
  }

  /** Whether the connection is up and authenticated. */
  get connected(): boolean {
    return this.#ready;
  }

  /** Connects and authenticates. @throws AuthError (wrong credentials), ConnectionError (unreachable) */
  open(): Promise<void> {
    if (!this.#closed) return Promise.resolve();
    this.#closed = false;
    this.#fatal = undefined;
    this.#sweeper = setInterval(() => this.#sweep(), 250);
    this.#sweeper.unref();
    return new Promise<void>((resolve, reject) => {
      this.#opening = { resolve, reject };
      const timer = setTimeout(() => {
        if (this.#opening) {
          this.#opening = undefined;
          this.#shutdown(new ConnectionError(`no connection within ${this.#connectTimeoutMs} ms`));
          reject(new ConnectionError(`no connection within ${this.#connectTimeoutMs} ms`));
        }
      }, this.#connectTimeoutMs);
      timer.unref();
      this.#connect();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#shutdown(new NotOpenError());
  }

  #shutdown(reason: Error): void {
    this.#closed = true;
    this.#ready = false;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#sweeper);
    this.#socket?.destroy();
    this.#socket = undefined;
    for (const pending of this.#pending.values()) pending.reject(reason);
    for (const pending of this.#queue) pending.reject(reason);
    this.#pending.clear();
    this.#queue = [];
  }

  #connect(): void {
    const options = this.#options;
    const socket =
      options.path !== undefined
        ? connect({ path: options.path })
        : connect({ host: options.host ?? '127.0.0.1', port: options.port!, noDelay: true });
    this.#socket = socket;
    const decoder = new FrameDecoder(DEFAULT_MAX_FRAME_BYTES);
    const clientNonce = nonce();
    let authenticated = false;
    socket.on('data', (chunk: Buffer) => {
      let frames: Uint8Array[];
      try {
        frames = decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        let reader: FrameReader;
        try {
          reader = new FrameReader(frame);
          if (!authenticated) {
            authenticated = this.#handshake(socket, reader, clientNonce);
            continue;
          }
        } catch {
          socket.destroy();
          return;
        }
        const pending = this.#pending.get(reader.id);
        if (pending === undefined) continue;
        this.#pending.delete(reader.id);
        if (reader.type === FrameType.Ok) pending.resolve(reader);
        else pending.reject(decodeError(reader));
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.#lost(socket));
  }

  /** Handles CHALLENGE and WELCOME; returns true once authenticated. */
  #handshake(socket: Socket, reader: FrameReader, clientNonce: Uint8Array): boolean {
    if (reader.type === FrameType.Challenge) {
      const version = reader.u16();
      const serverNonce = reader.bytes();
      reader.end();
      if (version !== PROTOCOL_VERSION) {
        this.#fail(new ProtocolError(`the server speaks protocol ${version}, this client ${PROTOCOL_VERSION}`));
        return false;
      }
      (socket as Socket & { serverNonce?: Uint8Array }).serverNonce = serverNonce;
      socket.write(
        new FrameWriter(FrameType.Auth, 0, 160)
          .u16(PROTOCOL_VERSION)
          .string(this.#options.clientId)
          .bytes(clientNonce)
          .bytes(clientProof(this.#secret, serverNonce, clientNonce, this.#options.clientId))
          .finish(),
      );
      return false;
    }
    if (reader.type === FrameType.Welcome) {
      const proof = reader.bytes();
      reader.u8();
      reader.u32();
      this.#maxFrameBytes = reader.u32();
      reader.end();
      const serverNonce = (socket as Socket & { serverNonce?: Uint8Array }).serverNonce;
      if (serverNonce === undefined || !sameMac(proof, serverProof(this.#secret, clientNonce, serverNonce))) {
        this.#fail(new AuthError('the server could not prove it holds the shared secret'));
        return false;
      }
      this.#ready = true;
      this.#attempt = 0;
      const opening = this.#opening;
      this.#opening = undefined;
      opening?.resolve();
      const queue = this.#queue;
      this.#queue = [];
      for (const pending of queue) this.#transmit(pending);
      return true;
    }
    if (reader.type === FrameType.Error) {
      this.#fail(decodeError(reader));
      return false;
    }
    throw new ProtocolError(`unexpected frame ${reader.type} during the handshake`);
  }

  /** A permanent failure (credentials, protocol): no reconnecting. */
  #fail(error: Error): void {
    this.#fatal = error;
    const opening = this.#opening;
    this.#opening = undefined;
    this.#shutdown(error);
    opening?.reject(error);
  }

  #lost(socket: Socket): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    this.#ready = false;
    if (this.#closed) return;
    // Reads are safe to send again (once); a write may already have been applied, so it fails instead.
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      if (WRITE_TYPES.has(pending.type) || pending.resent) {
        pending.reject(new ConnectionLostError(pending.operation));
      } else {
        pending.resent = true;
        pending.sent = false;
        this.#queue.push(pending);
      }
    }
    const delay = Math.min(this.#maxDelay, this.#minDelay * 2 ** this.#attempt) * (0.5 + Math.random() / 2);
    this.#attempt++;
    // Not unref'd: an open client keeps trying (and keeps its process alive) until close().
    this.#reconnectTimer = setTimeout(() => {
      if (!this.#closed) this.#connect();
    }, delay);
  }

  /** Fails requests that waited too long for a connection or an answer. */
  #sweep(): void {
    const now = performance.now();
    this.#queue = this.#queue.filter((pending) => {
      if (now - pending.since < this.#connectTimeoutMs) return true;
      pending.reject(new ConnectionError(`no connection to the MuDB server within ${this.#connectTimeoutMs} ms`));
      return false;
    });
    for (const [id, pending] of this.#pending) {
      if (now - pending.since < this.#requestTimeoutMs) continue;
      this.#pending.delete(id);
      pending.reject(
        WRITE_TYPES.has(pending.type)
          ? new ConnectionLostError(pending.operation, { details: 'no answer in time' })
          : new ConnectionError(`no answer within ${this.#requestTimeoutMs} ms`),
      );
    }
  }

  #transmit(pending: Pending): void {
    const id = this.#nextId;
    this.#nextId = id === MAX_ID ? 1 : id + 1;
    // The id lives in the frame header at bytes 5..8: patch it in place.
    new DataView(pending.frame.buffer, pending.frame.byteOffset).setUint32(5, id);
    pending.sent = true;
    this.#pending.set(id, pending);
    this.#socket!.write(pending.frame);
  }

  #request(type: number, operation: string, frame: Uint8Array): Promise<FrameReader> {
    if (this.#closed) return Promise.reject(this.#fatal ?? new NotOpenError());
    if (frame.length - 4 > this.#maxFrameBytes) {
      return Promise.reject(new BatchTooLargeError(frame.length, this.#maxFrameBytes));
    }
    return new Promise<FrameReader>((resolve, reject) => {
      const pending: Pending = {
        type,
        frame,
        resolve,
        reject,
        operation,
        since: performance.now(),
        sent: false,
        resent: false,
      };
      if (this.#ready) this.#transmit(pending);
      else this.#queue.push(pending);
    });
  }

  #writer(type: number, namespace: string): FrameWriter {
    return new FrameWriter(type, 0).string(namespace);
  }

  async get(namespace: string, key: Uint8Array): Promise<Uint8Array | undefined> {
    const reader = await this.#request(
      FrameType.Get,
      'get',
      this.#writer(FrameType.Get, namespace).bytes(key).finish(),
    );
    return reader.optionalBytes();
  }

  async getMany(namespace: string, keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const writer = this.#writer(FrameType.GetMany, namespace).u32(keys.length);
    for (const key of keys) writer.bytes(key);
    const reader = await this.#request(FrameType.GetMany, 'getMany', writer.finish());
    return Array.from({ length: reader.u32() }, () => reader.optionalBytes());
  }

  async has(namespace: string, key: Uint8Array): Promise<boolean> {
    const reader = await this.#request(
      FrameType.Has,
      'has',
      this.#writer(FrameType.Has, namespace).bytes(key).finish(),
    );
    return reader.u8() === 1;
  }

  async write(namespace: string, operations: readonly WriteOperation[], limits: WriteLimits): Promise<number> {
    const writer = this.#writer(FrameType.Write, namespace).f64(limits.maxStoredBytes).u32(operations.length);
    for (const operation of operations) writer.bytes(operation.key).optionalBytes(operation.value);
    const reader = await this.#request(FrameType.Write, 'write', writer.finish());
    return reader.f64();
  }

  async increment(namespace: string, key: Uint8Array, delta: bigint, limits: WriteLimits): Promise<IncrementResult> {
    const frame = this.#writer(FrameType.Increment, namespace)
      .bytes(key)
      .i64(delta)
      .f64(limits.maxStoredBytes)
      .finish();
    const reader = await this.#request(FrameType.Increment, 'increment', frame);
    return { value: reader.i64(), bytesWritten: reader.u32(), storedBytes: reader.f64() };
  }

  async compareAndSwap(
    namespace: string,
    key: Uint8Array,
    expected: Uint8Array | undefined,
    next: Uint8Array | undefined,
    limits: WriteLimits,
  ): Promise<CompareAndSwapResult> {
    const frame = this.#writer(FrameType.CompareAndSwap, namespace)
      .bytes(key)
      .optionalBytes(expected)
      .optionalBytes(next)
      .f64(limits.maxStoredBytes)
      .finish();
    const reader = await this.#request(FrameType.CompareAndSwap, 'compareAndSwap', frame);
    return { swapped: reader.u8() === 1, current: reader.optionalBytes(), storedBytes: reader.f64() };
  }

  async range(namespace: string, options: RangeOptions): Promise<Entry[]> {
    const flags = (options.reverse ? 1 : 0) | (options.values !== false ? 2 : 0);
    const frame = this.#writer(FrameType.Range, namespace)
      .u8(flags)
      .u32(options.limit)
      .optionalBytes(options.gt)
      .optionalBytes(options.gte)
      .optionalBytes(options.lt)
      .optionalBytes(options.lte)
      .finish();
    const reader = await this.#request(FrameType.Range, 'range', frame);
    return Array.from({ length: reader.u32() }, () => [reader.bytes(), reader.bytes()] as const);
  }

  async storedBytes(namespace: string): Promise<number> {
    const reader = await this.#request(
      FrameType.StoredBytes,
      'storedBytes',
      this.#writer(FrameType.StoredBytes, namespace).finish(),
    );
    return reader.f64();
  }
}

/** Rebuilds the typed error the server sent. */
function decodeError(reader: FrameReader): Error {
  const code = reader.string();
  const message = reader.string();
  let fields: Record<string, unknown> = {};
  try {
    fields = JSON.parse(reader.string()) as Record<string, unknown>;
  } catch {
    fields = {};
  }
  const number = (name: string) => (typeof fields[name] === 'number' ? (fields[name] as number) : 0);
  const string = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : '');
  switch (code as MuDBErrorCode | 'RANGE' | 'TYPE') {
    case 'MUDB_QUOTA_EXCEEDED':
      return new QuotaExceededError(string('namespace'), number('storedBytes'), number('neededBytes'), number('limit'));
    case 'MUDB_NOT_A_COUNTER':
      return new NotACounterError(string('key'));
    case 'MUDB_COUNTER_OVERFLOW':
      return new CounterOverflowError(string('key'));
    case 'MUDB_KEY_TOO_LARGE':
      return new KeyTooLargeError(number('size'), number('limit'));
    case 'MUDB_VALUE_TOO_LARGE':
      return new ValueTooLargeError(number('size'), number('limit'));
    case 'MUDB_BATCH_TOO_LARGE':
      return new BatchTooLargeError(number('size'), number('limit'));
    case 'MUDB_FORBIDDEN':
      return new ForbiddenError(string('namespace'));
    case 'MUDB_AUTH':
      return new AuthError(message);
    case 'MUDB_BAD_CURSOR':
      return new BadCursorError(message);
    case 'MUDB_PROTOCOL':
      return new ProtocolError(message);
    case 'RANGE':
      return new RangeError(message);
    case 'TYPE':
      return new TypeError(message);
    default:
      return new BackendError('a request to the MuDB server', new MuDBError('MUDB_BACKEND', message));
  }
}

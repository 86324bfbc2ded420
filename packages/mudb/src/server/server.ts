import { createServer, type Server, type Socket } from 'node:net';
import { isMuError } from '@mu/errors';
import type { MuBackend, RangeOptions, WriteOperation } from '../backend.js';
import { AuthError, ForbiddenError, MuDBError, ProtocolError } from '../errors.js';
import { MAX_PAGE } from '../limits.js';
import { clientProof, nonce, sameMac, secretBytes, serverProof } from './auth.js';
import { LogLimit } from './log-limit.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  FrameDecoder,
  FrameReader,
  FrameType,
  FrameWriter,
  MAX_HANDSHAKE_FRAME_BYTES,
  PROTOCOL_VERSION,
} from './protocol.js';

/** One client the server accepts. */
export interface ClientCredential {
  /** Names the client in logs and in the handshake. */
  id: string;
  /** Shared secret, at least 16 bytes; never sent over the wire. */
  secret: string | Uint8Array;
  /** Namespaces the client may use: exact names, or prefixes ending in `*` (`"job-*"`, or `"*"` for all). */
  namespaces: readonly string[];
}

/** A line the server logs: a refused client, a closed connection and why. */
export interface ServerLogEvent {
  level: 'info' | 'warn' | 'error';
  message: string;
  remote?: string;
  clientId?: string;
}

/** Options of {@link createMuDBServer}. */
export interface MuDBServerOptions {
  /** The store to serve, e.g. `new LevelBackend(new ClassicLevel(dir))`. Opened by `listen`, closed by `close`. */
  backend: MuBackend;
  clients: readonly ClientCredential[];
  /** Largest frame accepted (default 64 MiB); a frame announcing more closes the connection at once. */
  maxFrameBytes?: number;
  /** Time for a new connection to authenticate (default 5 s). */
  handshakeTimeoutMs?: number;
  /** Time for a started frame to arrive whole (default 30 s): slow-drip clients are cut off. */
  frameTimeoutMs?: number;
  /** Most simultaneous connections (default 1,024). */
  maxConnections?: number;
  /**
   * Most connections at once that have not authenticated yet (default 64, at most half of `maxConnections`); one more
   * closes the oldest of them, so idle or dripping strangers can neither fill `maxConnections` nor keep out a node,
   * which authenticates in a round trip (each is also cut at `handshakeTimeoutMs`).
   */
  maxUnauthenticatedConnections?: number;
  /** Most log lines a second about connections that never authenticated (default 10); the rest are counted. */
  strangerLogLinesPerSecond?: number;
  /** Most requests one connection may have in progress before the server stops reading from it (default 1,024). */
  maxInFlightPerConnection?: number;
  /** Where log lines go (default: warnings and errors to stderr). */
  onLog?: (event: ServerLogEvent) => void;
}

/** Where to listen: a TCP port (host defaults to 127.0.0.1) or a Unix socket path. */
export type ListenOptions = { port: number; host?: string } | { path: string };

interface Grant {
  readonly secret: Uint8Array;
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
}

/**
 * Serves a MuDB backend to the nodes of a provider, so every node sees the same state. Atomics run here,
 * in the one process that owns the store, so increments and compare-and-swap from many nodes are
 * linearizable.
 *
 * @example
 * ```ts
 * const server = createMuDBServer({
 *   backend: new LevelBackend(new ClassicLevel('./mudb-data')),
 *   clients: [{ id: 'node-1', secret: process.env.MUDB_SECRET!, namespaces: ['*'] }],
 * });
 * const address = await server.listen({ port: 7070 });
 * ```
 */
export function createMuDBServer(options: MuDBServerOptions): MuDBServer {
  return new MuDBServer(options);
}

/** See {@link createMuDBServer}. */
export class MuDBServer {
  readonly #backend: MuBackend;
  readonly #grants = new Map<string, Grant>();
  readonly #maxFrameBytes: number;
  readonly #maxUnauthenticated: number;
  readonly #strangerLog: LogLimit;
  /** Connections that have not authenticated yet, oldest first. */
  readonly #authenticating = new Set<Socket>();
  readonly #handshakeTimeoutMs: number;
  readonly #frameTimeoutMs: number;
  readonly #maxConnections: number;
  readonly #maxInFlight: number;
  readonly #log: (event: ServerLogEvent) => void;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;

  constructor(options: MuDBServerOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    if (options.backend === null || typeof options.backend?.write !== 'function') {
      throw new TypeError('options.backend must be a MuBackend');
    }
    if (!Array.isArray(options.clients) || options.clients.length === 0) {
      throw new TypeError('options.clients must list at least one client');
    }
    this.#backend = options.backend;
    for (const client of options.clients) {
      if (typeof client?.id !== 'string' || client.id.length === 0 || client.id.length > 255) {
        throw new TypeError('each client needs an id of 1 to 255 characters');
      }
      if (this.#grants.has(client.id)) throw new TypeError(`client id "${client.id}" is listed twice`);
      const namespaces: readonly string[] = client.namespaces;
      if (!Array.isArray(namespaces) || namespaces.some((name) => typeof name !== 'string')) {
        throw new TypeError(`client "${client.id}" needs a namespaces list of strings`);
      }
      this.#grants.set(client.id, {
        secret: secretBytes(client.secret, `the secret of client "${client.id}"`),
        exact: new Set(namespaces.filter((name) => !name.endsWith('*'))),
        prefixes: namespaces.filter((name) => name.endsWith('*')).map((name) => name.slice(0, -1)),
      });
    }
    this.#maxFrameBytes = positive(options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, 'maxFrameBytes');
    this.#handshakeTimeoutMs = positive(options.handshakeTimeoutMs, 5000, 'handshakeTimeoutMs');
    this.#frameTimeoutMs = positive(options.frameTimeoutMs, 30_000, 'frameTimeoutMs');
    this.#maxConnections = positive(options.maxConnections, 1024, 'maxConnections');
    this.#maxInFlight = positive(options.maxInFlightPerConnection, 1024, 'maxInFlightPerConnection');
    // Never more than half of all connections: strangers must not be able to fill `maxConnections` either.
    const unauthenticated = positive(options.maxUnauthenticatedConnections, 64, 'maxUnauthenticatedConnections');
    this.#maxUnauthenticated = Math.min(unauthenticated, Math.max(1, Math.floor(this.#maxConnections / 2)));
    this.#strangerLog = new LogLimit(positive(options.strangerLogLinesPerSecond, 10, 'strangerLogLinesPerSecond'));
    this.#log =
      options.onLog ??
      ((event) => {
        if (event.level !== 'info') console.warn(`[mudb-server] ${event.level}: ${event.message}`);
      });
  }

  /** Open connections. */
  get connections(): number {
    return this.#sockets.size;
  }

  /**
   * Opens the backend and starts listening.
   * @returns the TCP port bound (useful with port 0) or the socket path
   */
  async listen(where: ListenOptions): Promise<{ port: number; host: string } | { path: string }> {
    if (this.#server) throw new Error('the server is already listening');
    await this.#backend.open();
    const server = createServer({ noDelay: true }, (socket) => this.#accept(socket));
    server.maxConnections = this.#maxConnections;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if ('path' in where) server.listen(where.path, resolve);
      else server.listen(where.port, where.host ?? '127.0.0.1', resolve);
    });
    const address = server.address();
    if (address !== null && typeof address === 'object') return { port: address.port, host: address.address };
    return { path: String(address) };
  }

  /** Stops accepting, closes every connection, then closes the backend. */
  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
    await this.#backend.close();
  }

  /** Logs a line about a connection; lines about strangers (no client id) are rate-limited. */
  #logConnection(event: ServerLogEvent): void {
    if (event.clientId !== undefined || event.level === 'info') {
      this.#log(event);
      return;
    }
    const summary = (suppressed: number) =>
      this.#log({ level: 'warn', message: `${suppressed} more lines about unauthenticated connections left out` });
    if (this.#strangerLog.allow(Date.now(), summary)) this.#log(event);
  }

  #accept(socket: Socket): void {
    const remote = `${socket.remoteAddress ?? 'unix'}:${socket.remotePort ?? ''}`;
    socket.on('error', () => {});
    // Full of connections still authenticating: the oldest goes, not the newcomer. An honest node authenticates in
    // one round trip, so idle or dripping strangers can hold its place only by opening connections faster than that.
    if (this.#authenticating.size >= this.#maxUnauthenticated) {
      const [oldest] = this.#authenticating;
      if (oldest) {
        this.#authenticating.delete(oldest);
        oldest.destroy();
        this.#logConnection({
          level: 'warn',
          message: `closed the oldest of ${this.#maxUnauthenticated} connections still authenticating`,
          remote: `${oldest.remoteAddress ?? 'unix'}:${oldest.remotePort ?? ''}`,
        });
      }
    }
    this.#authenticating.add(socket);
    const authenticatedOrGone = () => this.#authenticating.delete(socket);
    this.#sockets.add(socket);
    socket.on('close', () => {
      this.#sockets.delete(socket);
      authenticatedOrGone();
    });
    // Until it authenticates, a connection may send only the small AUTH frame: no stranger makes us buffer more.
    const decoder = new FrameDecoder(Math.min(MAX_HANDSHAKE_FRAME_BYTES, this.#maxFrameBytes));
    const serverNonce = nonce();
    let clientId: string | undefined;
    let grant: Grant | undefined;
    let inFlight = 0;
    let frameTimer: NodeJS.Timeout | undefined;
    const handshakeTimer = setTimeout(() => drop('no authentication in time'), this.#handshakeTimeoutMs);
    handshakeTimer.unref();

    const drop = (reason: string, level: ServerLogEvent['level'] = 'warn') => {
      if (socket.destroyed) return;
      this.#logConnection({
        level,
        message: `closing connection: ${reason}`,
        remote,
        ...(clientId ? { clientId } : {}),
      });
      clearTimeout(handshakeTimer);
      clearTimeout(frameTimer);
      socket.destroy();
    };
    const send = (frame: Uint8Array) => {
      if (socket.destroyed) return;
      // A client that does not read its answers gets no more requests read until it does.
      if (!socket.write(frame) && !socket.isPaused()) {
        socket.pause();
        socket.once('drain', () => {
          if (inFlight < this.#maxInFlight) socket.resume();
        });
      }
    };

    send(new FrameWriter(FrameType.Challenge, 0, 64).u16(PROTOCOL_VERSION).bytes(serverNonce).finish());

    socket.on('data', (chunk: Buffer) => {
      let frames: Uint8Array[];
      try {
        frames = decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch (error) {
        drop((error as Error).message);
        return;
      }
      clearTimeout(frameTimer);
      if (decoder.pending > 0) {
        frameTimer = setTimeout(() => drop('a frame did not arrive in time'), this.#frameTimeoutMs);
        frameTimer.unref();
      }
      for (const frame of frames) {
        if (socket.destroyed) return;
        let reader: FrameReader;
        try {
          reader = new FrameReader(frame);
        } catch (error) {
          drop((error as Error).message);
          return;
        }
        if (grant === undefined) {
          const result = this.#authenticate(reader, serverNonce);
          if (result instanceof Error) {
            this.#logConnection({ level: 'warn', message: `refused client: ${result.message}`, remote });
            send(errorFrame(0, result));
            clearTimeout(handshakeTimer);
            socket.end();
            return;
          }
          clearTimeout(handshakeTimer);
          clientId = result.clientId;
          grant = result.grant;
          decoder.maxFrameBytes = this.#maxFrameBytes;
          authenticatedOrGone();
          send(
            new FrameWriter(FrameType.Welcome, 0, 96)
              .bytes(result.proof)
              .u8(this.#backend.supports.permanence ? 1 : 0)
              .u32(this.#backend.supports.maxBatchSize)
              .u32(this.#maxFrameBytes)
              .finish(),
          );
          this.#log({ level: 'info', message: 'client authenticated', remote, clientId });
          continue;
        }
        inFlight++;
        if (inFlight >= this.#maxInFlight) socket.pause();
        this.#handle(reader, grant).then(
          (answer) => {
            inFlight--;
            send(answer);
            if (inFlight < this.#maxInFlight && socket.isPaused() && socket.writableLength === 0) socket.resume();
          },
          (error: unknown) => {
            inFlight--;
            drop(error instanceof ProtocolError ? error.message : `internal error: ${String(error)}`);
          },
        );
      }
    });
  }

  #authenticate(
    reader: FrameReader,
    serverNonce: Uint8Array,
  ): { clientId: string; grant: Grant; proof: Uint8Array } | MuDBError {
    try {
      if (reader.type !== FrameType.Auth) return new ProtocolError('the first frame must authenticate');
      const version = reader.u16();
      const clientId = reader.string();
      const clientNonce = reader.bytes();
      const mac = reader.bytes();
      reader.end();
      if (version !== PROTOCOL_VERSION) {
        return new ProtocolError(`protocol version ${version}; this server speaks ${PROTOCOL_VERSION}`);
      }
      const grant = this.#grants.get(clientId);
      if (grant === undefined || clientNonce.length !== 32) return new AuthError(`unknown client "${clientId}"`);
      if (!sameMac(mac, clientProof(grant.secret, serverNonce, clientNonce, clientId))) {
        return new AuthError(`wrong secret for client "${clientId}"`);
      }
      return { clientId, grant, proof: serverProof(grant.secret, clientNonce, serverNonce) };
    } catch (error) {
      return error instanceof MuDBError ? error : new ProtocolError('a malformed authentication frame');
    }
  }

  /** Runs one request. Data errors become error frames; protocol errors reject (the caller drops the connection). */
  async #handle(reader: FrameReader, grant: Grant): Promise<Uint8Array> {
    const id = reader.id;
    const type = reader.type;
    if (type === FrameType.Ping) {
      reader.end();
      return new FrameWriter(FrameType.Ok, id, 16).finish();
    }
    const namespace = reader.string();
    const backend = this.#backend;
    const readRequest = (): (() => Promise<Uint8Array>) => {
      switch (type) {
        case FrameType.Get: {
          const key = reader.bytes();
          reader.end();
          return async () =>
            new FrameWriter(FrameType.Ok, id).optionalBytes(await backend.get(namespace, key)).finish();
        }
        case FrameType.GetMany: {
          const count = reader.u32();
          if (count > backend.supports.maxBatchSize) throw new ProtocolError(`a batch of ${count} keys`);
          const keys = Array.from({ length: count }, () => reader.bytes());
          reader.end();
          return async () => {
            const values = await backend.getMany(namespace, keys);
            const writer = new FrameWriter(FrameType.Ok, id).u32(values.length);
            for (const value of values) writer.optionalBytes(value);
            return writer.finish();
          };
        }
        case FrameType.Has: {
          const key = reader.bytes();
          reader.end();
          return async () =>
            new FrameWriter(FrameType.Ok, id, 16).u8((await backend.has(namespace, key)) ? 1 : 0).finish();
        }
        case FrameType.Write: {
          const maxStoredBytes = reader.f64();
          const count = reader.u32();
          if (count === 0 || count > backend.supports.maxBatchSize)
            throw new ProtocolError(`a batch of ${count} writes`);
          const operations: WriteOperation[] = Array.from({ length: count }, () => ({
            key: reader.bytes(),
            value: reader.optionalBytes(),
          }));
          reader.end();
          return async () =>
            new FrameWriter(FrameType.Ok, id, 16)
              .f64(await backend.write(namespace, operations, { maxStoredBytes }))
              .finish();
        }
        case FrameType.Increment: {
          const key = reader.bytes();
          const delta = reader.i64();
          const maxStoredBytes = reader.f64();
          reader.end();
          return async () => {
            const result = await backend.increment(namespace, key, delta, { maxStoredBytes });
            return new FrameWriter(FrameType.Ok, id, 32)
              .i64(result.value)
              .u32(result.bytesWritten)
              .f64(result.storedBytes)
              .finish();
          };
        }
        case FrameType.CompareAndSwap: {
          const key = reader.bytes();
          const expected = reader.optionalBytes();
          const next = reader.optionalBytes();
          const maxStoredBytes = reader.f64();
          reader.end();
          return async () => {
            const result = await backend.compareAndSwap(namespace, key, expected, next, { maxStoredBytes });
            return new FrameWriter(FrameType.Ok, id)
              .u8(result.swapped ? 1 : 0)
              .optionalBytes(result.current)
              .f64(result.storedBytes)
              .finish();
          };
        }
        case FrameType.Range: {
          const flags = reader.u8();
          const limit = reader.u32();
          const gt = reader.optionalBytes();
          const gte = reader.optionalBytes();
          const lt = reader.optionalBytes();
          const lte = reader.optionalBytes();
          reader.end();
          if (limit < 1 || limit > MAX_PAGE + 1) throw new ProtocolError(`a range limit of ${limit}`);
          const range: RangeOptions = {
            limit,
            reverse: (flags & 1) !== 0,
            values: (flags & 2) !== 0,
            ...(gt ? { gt } : {}),
            ...(gte ? { gte } : {}),
            ...(lt ? { lt } : {}),
            ...(lte ? { lte } : {}),
          };
          return async () => {
            const entries = await backend.range(namespace, range);
            const writer = new FrameWriter(FrameType.Ok, id, 1024).u32(entries.length);
            for (const [key, value] of entries) writer.bytes(key).bytes(value);
            return writer.finish();
          };
        }
        case FrameType.StoredBytes: {
          reader.end();
          return async () => new FrameWriter(FrameType.Ok, id, 16).f64(await backend.storedBytes(namespace)).finish();
        }
        default:
          throw new ProtocolError(`unknown request type ${type}`);
      }
    };
    const run = readRequest();
    if (!allowed(grant, namespace)) return errorFrame(id, new ForbiddenError(namespace));
    try {
      return await run();
    } catch (error) {
      return errorFrame(id, error);
    }
  }
}

function allowed(grant: Grant, namespace: string): boolean {
  if (grant.exact.has(namespace)) return true;
  for (const prefix of grant.prefixes) if (namespace.startsWith(prefix)) return true;
  return false;
}

/** An error answer: code, message, and the error's own fields (sizes, limits) as JSON. */
export function errorFrame(id: number, error: unknown): Uint8Array {
  // A brand, not `instanceof`: the backend may come from another loaded copy of this package.
  const known = isMuError(error) && error.code.startsWith('MUDB_');
  const code = known
    ? error.code
    : error instanceof RangeError
      ? 'RANGE'
      : error instanceof TypeError
        ? 'TYPE'
        : 'MUDB_BACKEND';
  const message = known ? error.shortMessage : error instanceof Error ? error.message : String(error);
  const fields: Record<string, unknown> = {};
  if (known) {
    for (const [name, value] of Object.entries(error)) {
      if (['code', 'shortMessage', 'details', 'name'].includes(name)) continue;
      if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') fields[name] = value;
    }
  }
  return new FrameWriter(FrameType.Error, id).string(code).string(message).string(JSON.stringify(fields)).finish();
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer`);
  }
  return value;
}

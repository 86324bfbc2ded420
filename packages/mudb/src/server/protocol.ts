/**
 * The MuDB wire protocol (version 1): length-prefixed binary frames over TCP or a Unix socket.
 *
 * Frame: `[u32 length][u8 type][u32 id][body]`, length counting everything after itself. Requests carry a
 * client-chosen id; responses echo it, so a client pipelines many requests on one connection and the server
 * answers them as they complete, in any order.
 *
 * Connection: server → `CHALLENGE {u16 version, 32-byte nonce}`; client → `AUTH {u16 version, clientId,
 * 32-byte nonce, HMAC-SHA256(secret, "mudb-auth-v1/client" ‖ server nonce ‖ client nonce ‖ clientId)}`;
 * server → `WELCOME {proof = HMAC(secret, "mudb-auth-v1/server" ‖ client nonce ‖ server nonce), capabilities}`
 * or `ERROR` and close. The secret never crosses the wire and both sides prove they hold it.
 */
import { ProtocolError } from '../errors.js';

export const PROTOCOL_VERSION = 1;
/** The largest frame either side accepts unless configured otherwise (a 4 MiB value plus a batch's keys fit). */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/**
 * Largest frame a connection may send before it has authenticated. The only such frame is AUTH (a version, a
 * nonce, a MAC and a client id of at most a few hundred bytes), so a stranger can never make the server buffer
 * more than this per connection, whatever length it announces (issue 16).
 */
export const MAX_HANDSHAKE_FRAME_BYTES = 4096;

export const FrameType = {
  Challenge: 1,
  Auth: 2,
  Welcome: 3,
  Get: 10,
  GetMany: 11,
  Has: 12,
  Write: 13,
  Increment: 14,
  CompareAndSwap: 15,
  Range: 16,
  StoredBytes: 17,
  Ping: 18,
  Ok: 100,
  Error: 101,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** The request frame types that change data: never resent after a connection loss. */
export const WRITE_TYPES: ReadonlySet<number> = new Set([
  FrameType.Write,
  FrameType.Increment,
  FrameType.CompareAndSwap,
]);

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Builds one frame. */
export class FrameWriter {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 9;

  constructor(type: number, id: number, capacity = 256) {
    this.#buffer = new Uint8Array(Math.max(capacity, 16));
    this.#view = new DataView(this.#buffer.buffer);
    this.#view.setUint8(4, type);
    this.#view.setUint32(5, id);
  }

  #reserve(bytes: number): void {
    if (this.#length + bytes <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.#length + bytes) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = next;
    this.#view = new DataView(next.buffer);
  }

  u8(value: number): this {
    this.#reserve(1);
    this.#view.setUint8(this.#length, value);
    this.#length += 1;
    return this;
  }

  u16(value: number): this {
    this.#reserve(2);
    this.#view.setUint16(this.#length, value);
    this.#length += 2;
    return this;
  }

  u32(value: number): this {
    this.#reserve(4);
    this.#view.setUint32(this.#length, value);
    this.#length += 4;
    return this;
  }

  /** A number that may be fractional or infinite (quotas, byte counts). */
  f64(value: number): this {
    this.#reserve(8);
    this.#view.setFloat64(this.#length, value);
    this.#length += 8;
    return this;
  }

  i64(value: bigint): this {
    this.#reserve(8);
    this.#view.setBigInt64(this.#length, value);
    this.#length += 8;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.u32(value.length);
    this.#reserve(value.length);
    this.#buffer.set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  optionalBytes(value: Uint8Array | undefined): this {
    if (value === undefined) return this.u8(0);
    return this.u8(1).bytes(value);
  }

  string(value: string): this {
    return this.bytes(encoder.encode(value));
  }

  /** The finished frame, its length header filled in. */
  finish(): Uint8Array {
    this.#view.setUint32(0, this.#length - 4);
    return this.#buffer.subarray(0, this.#length);
  }
}

/** Reads one frame's body; every read checks bounds and throws {@link ProtocolError} past the end. */
export class FrameReader {
  readonly type: number;
  readonly id: number;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset = 5;

  /** @param frame the frame without its length header: `[type][id][body]` */
  constructor(frame: Uint8Array) {
    if (frame.length < 5) throw new ProtocolError('a frame shorter than its header');
    this.#bytes = frame;
    this.#view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    this.type = this.#view.getUint8(0);
    this.id = this.#view.getUint32(1);
  }

  #need(bytes: number): void {
    if (this.#offset + bytes > this.#bytes.length) throw new ProtocolError(`frame ${this.type} ends early`);
  }

  u8(): number {
    this.#need(1);
    return this.#view.getUint8(this.#offset++);
  }

  u16(): number {
    this.#need(2);
    const value = this.#view.getUint16(this.#offset);
    this.#offset += 2;
    return value;
  }

  u32(): number {
    this.#need(4);
    const value = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return value;
  }

  f64(): number {
    this.#need(8);
    const value = this.#view.getFloat64(this.#offset);
    this.#offset += 8;
    return value;
  }

  i64(): bigint {
    this.#need(8);
    const value = this.#view.getBigInt64(this.#offset);
    this.#offset += 8;
    return value;
  }

  /** A copy, so the frame's buffer can be reused. */
  bytes(): Uint8Array {
    const length = this.u32();
    this.#need(length);
    const value = this.#bytes.slice(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  optionalBytes(): Uint8Array | undefined {
    const flag = this.u8();
    if (flag === 0) return undefined;
    if (flag !== 1) throw new ProtocolError('an optional field with a bad flag');
    return this.bytes();
  }

  string(): string {
    try {
      return decoder.decode(this.bytes());
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      throw new ProtocolError('a string that is not UTF-8');
    }
  }

  /** Fails unless the whole frame was read: trailing bytes mean the peer speaks another dialect. */
  end(): void {
    if (this.#offset !== this.#bytes.length) throw new ProtocolError(`frame ${this.type} has trailing bytes`);
  }
}

/**
 * Splits a byte stream into frames. `push` returns complete frames (without their length header).
 * @throws ProtocolError when a frame announces more than `maxFrameBytes` (before buffering any of it)
 */
export class FrameDecoder {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #maxFrameBytes: number;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** The largest frame accepted from now on (raised once a connection has authenticated). */
  set maxFrameBytes(bytes: number) {
    this.#maxFrameBytes = bytes;
  }

  /** Bytes received that do not yet form a frame. */
  get pending(): number {
    return this.#buffered;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.#buffered < 4) break;
      const head = this.#peek(4);
      const length = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
      if (length > this.#maxFrameBytes) {
        throw new ProtocolError(`a frame of ${length} bytes, over the limit of ${this.#maxFrameBytes}`);
      }
      if (length < 5) throw new ProtocolError(`a frame of ${length} bytes, shorter than its header`);
      if (this.#buffered < 4 + length) break;
      const frame = this.#take(4 + length).subarray(4);
      frames.push(frame);
    }
    return frames;
  }

  #peek(bytes: number): Uint8Array {
    const first = this.#chunks[0]!;
    if (first.length >= bytes) return first;
    return this.#flatten().subarray(0, bytes);
  }

  #flatten(): Uint8Array {
    if (this.#chunks.length === 1) return this.#chunks[0]!;
    const all = new Uint8Array(this.#buffered);
    let offset = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    this.#chunks = [all];
    return all;
  }

  #take(bytes: number): Uint8Array {
    const all = this.#flatten();
    const taken = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return taken;
  }
}

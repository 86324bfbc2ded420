/**
 * Messages between the runtime (main thread) and its guest workers. Internal: not exported from the package.
 * Imports nothing but types, so the worker bundle stays free of main-thread code.
 */
import type { MessagePort } from 'node:worker_threads';
import type { GuestErrorCode } from '../errors.js';
import type { World } from '../transpile/worlds.js';

/** Log levels, as the Mu world's `log` interface names them. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** One line a guest logged (through `mu:app/log`, stdout or stderr). */
export interface LogEntry {
  level: LogLevel;
  message: string;
}

/** What a worker needs to know at start. */
export interface WorkerData {
  /** Requests come in and responses go out on this port (read with receiveMessageOnPort while spinning). */
  port: MessagePort;
  /** Port the worker posts host calls (MuDB, outbound HTTP) on; the reply comes back on it. */
  hostPort: MessagePort;
  /** The control block shared with the main thread (see wake-channel.ts). */
  control: SharedArrayBuffer;
  /** The two message slots shared with the main thread (see slot-codec.ts). */
  slots: SharedArrayBuffer;
  /** How long the worker busy-waits for its next message or a host call's reply before sleeping, µs. */
  spinMicros: number;
}

/** Make `key` (one version of one job) instantiable on this worker. */
export interface LoadMessage {
  type: 'load';
  key: string;
  world: World;
  gluePath: string;
  modules: Record<string, WebAssembly.Module>;
  env: [string, string][];
  maxResponseBytes: number;
  maxMemoryBytes: number;
  /** Hosts (`host` or `host:port`) outbound HTTP may reach; empty: none. */
  allowedHosts: string[];
  /** Proxy world: send the response head and body chunks as the guest produces them. */
  stream: boolean;
  /** Proxy world: how many fresh instances to keep made ahead of requests (each serves one request). */
  spares: number;
}

/** Forget `key` and its instances. */
export interface UnloadMessage {
  type: 'unload';
  key: string;
}

/** Answer one request with `key`. */
export interface RequestMessage {
  type: 'request';
  id: number;
  key: string;
  method: string;
  url: string;
  headers: [string, string][];
  body: Uint8Array;
}

/** Messages the main thread sends to a worker. */
export type ToWorkerMessage = LoadMessage | UnloadMessage | RequestMessage;

/**
 * Sent on a port only to wake a thread that sleeps while a message waits for it in a slot (see slot-codec.ts); it
 * carries nothing.
 */
export interface WakeMessage {
  type: 'wake';
}

/** What travels on a worker's port: messages numbered in the order the worker must take them (slot included). */
export type PortMessageToWorker = (ToWorkerMessage & { seq: number }) | WakeMessage;

/** What travels on a worker's host port. */
export type HostPortMessage = HostCall | WakeMessage;

/** Measurements of one request, taken on the worker. */
export interface RequestMeter {
  /** Milliseconds the worker thread spent in the guest call, minus time blocked on KV calls. */
  busyMs: number;
  /** Milliseconds blocked waiting for MuDB. */
  kvWaitMs: number;
  /** Linear memory of the instance after the call, in bytes (all its memories). */
  memoryBytes: number;
  /** Whether the instance was created for this request (a cold start on this worker). */
  instantiated: boolean;
}

/** A guest's answer (when `streamed`, the head and earlier chunks were sent before; `body` is the rest). */
export interface ResponseMessage extends RequestMeter {
  type: 'response';
  id: number;
  status: number;
  headers: [string, string][];
  body: Uint8Array;
  logs: LogEntry[];
  streamed: boolean;
}

/** A streaming response's status and headers, sent while the guest still runs. */
export interface ResponseHeadMessage {
  type: 'response-head';
  id: number;
  status: number;
  headers: [string, string][];
}

/** A chunk of a streaming response's body. */
export interface ResponseChunkMessage {
  type: 'response-chunk';
  id: number;
  chunk: Uint8Array;
}

/** A guest failure (trap, memory limit, bad response); the instance has been discarded when `discarded`. */
export interface FailureMessage extends RequestMeter {
  type: 'failure';
  id: number;
  code: GuestErrorCode;
  message: string;
  discarded: boolean;
  logs: LogEntry[];
}

/** Messages a worker sends to the main thread. */
export type FromWorkerMessage = ResponseMessage | ResponseHeadMessage | ResponseChunkMessage | FailureMessage;

/** A worker's first message: its code is loaded and it listens (requests go only to ready workers). */
export interface ReadyMessage {
  type: 'ready';
}

/** What travels on a worker's port towards the main thread. */
export type PortMessageFromWorker = FromWorkerMessage | WakeMessage | ReadyMessage;

/** Calls a guest makes that the main thread serves: MuDB (wasi:keyvalue 0.2.0-draft2) and outbound HTTP. */
export type HostOperation =
  | 'get'
  | 'set'
  | 'delete'
  | 'exists'
  | 'list-keys'
  | 'increment'
  | 'compare-and-swap'
  | 'get-many'
  | 'set-many'
  | 'delete-many'
  | 'http-fetch';

/** A host call from a worker (`bucket` is empty for `http-fetch`). */
export interface HostCall {
  op: HostOperation;
  bucket: string;
  args: unknown[];
}

/** An outbound request a proxy-world guest makes (the argument of `http-fetch`). */
export interface OutboundRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body: Uint8Array;
}

/** The answer to an {@link OutboundRequest} (the value of a successful `http-fetch`). */
export interface OutboundResponse {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

/** The main thread's reply to a {@link HostCall}. */
export type HostReply = { ok: true; value: unknown } | { ok: false; message: string };

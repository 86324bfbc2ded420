/**
 * The apps a guest worker holds: each version the main thread loaded here (its compiled modules, its glue, its WASI
 * host and logs) and how one is instantiated.
 */
import { pathToFileURL } from 'node:url';
import type { LoadMessage, LogEntry, LogLevel } from '../threads/messages.js';
import { SPARES_TO_MAKE } from '../threads/wake-channel.js';
import { createHttpImports } from './http-host.js';
import { createWasiHost, type WasiHost } from './wasi-host.js';
import { control, kv, kvImports } from './worker-thread.js';

// Node 20 lacks JSPI: the glue probes WebAssembly.promising and, when missing, throws and catches on every
// instantiate (V8 re-parses a huge function each time). An identity function keeps it on the sync path.
const webAssembly = WebAssembly as unknown as { promising?: (f: unknown) => unknown };
if (typeof webAssembly.promising !== 'function') webAssembly.promising = (f: unknown) => f;

/** The `instantiate` of a glue module jco generated (`instantiation: 'sync'`). */
export type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
) => Record<string, unknown>;

/** The proxy world's export, `wasi:http/incoming-handler`. */
export interface IncomingHandler {
  handle(request: unknown, out: unknown): void;
}

/** The Mu world's request record, as `handle` takes it. */
export interface GuestRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body: Uint8Array;
}

/** The Mu world's response record, as `handle` returns it. */
export interface GuestResponse {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

/** One instance of an app. */
export interface Instance {
  /** The Mu world's export. */
  handle?: (request: GuestRequest) => GuestResponse;
  /** The proxy world's `wasi:http/incoming-handler`. */
  incomingHandler?: IncomingHandler;
  memories: WebAssembly.Memory[];
}

/** One app version loaded on this worker. */
export interface LoadedApp {
  load: LoadMessage;
  ready: Promise<Instantiate>;
  /** The glue's `instantiate`, once loaded. */
  glue: Instantiate | undefined;
  instance: Instance | undefined;
  /** Proxy world: fresh instances made ahead of requests (a fetch-event instance serves one request). */
  spares: Instance[];
  /** The queued refill step, if any. */
  refill: { kind: 'immediate'; timer: NodeJS.Immediate } | { kind: 'timer'; timer: NodeJS.Timeout } | undefined;
  /** Set when a spare could not be made: the app's requests then instantiate for themselves. */
  sparesFailed: boolean;
  /** Moving average of the time a spare took to make, ms; undefined before the first. */
  instantiateMs: number | undefined;
  logs: LogEntry[];
  wasi: WasiHost;
}

/** The apps loaded on this worker, by version key. */
export const apps = new Map<string, LoadedApp>();
/** Lines one request may log: a chatty guest cannot fill the host's memory. */
const MAX_LOG_ENTRIES = 200;

/** Makes a version instantiable here: its glue starts loading now, its instances come with its requests. */
export function loadApp(message: LoadMessage): void {
  const logs: LogEntry[] = [];
  const app: LoadedApp = {
    load: message,
    ready: import(pathToFileURL(message.gluePath).href).then((glue: { instantiate: Instantiate }) => {
      app.glue = glue.instantiate;
      return glue.instantiate;
    }),
    glue: undefined,
    instance: undefined,
    spares: [],
    refill: undefined,
    sparesFailed: false,
    instantiateMs: undefined,
    logs,
    wasi: createWasiHost(message.env, {
      write(level, text) {
        if (app.logs.length < MAX_LOG_ENTRIES) app.logs.push({ level, message: text });
      },
    }),
  };
  app.ready.catch(() => {}); // reported on the request that needs it
  apps.set(message.key, app);
  Atomics.add(control, SPARES_TO_MAKE, message.spares);
}

/** Forgets a version and its instances. */
export function unloadApp(key: string): void {
  const app = apps.get(key);
  if (app === undefined) return;
  apps.delete(key);
  if (!app.sparesFailed) Atomics.sub(control, SPARES_TO_MAKE, app.load.spares - app.spares.length);
}

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

/** Instantiates an app: its core modules (compiled on the main thread) with this worker's host imports. */
export function instantiate(app: LoadedApp, instantiateGlue: Instantiate): Instance {
  const memories: WebAssembly.Memory[] = [];
  const env = new Map(app.load.env);
  const imports: Record<string, unknown> = {
    ...app.wasi.imports,
    ...kvImports,
    ...(app.load.world === 'wasi-http' ? createHttpImports(kv, app.load.allowedHosts) : {}),
    'mu:app/log': {
      log(level: LogLevel | number, message: string) {
        const name = typeof level === 'number' ? (LEVELS[level] ?? 'info') : level;
        if (app.logs.length < MAX_LOG_ENTRIES) app.logs.push({ level: name, message: String(message).slice(0, 4096) });
      },
    },
    'mu:app/config': {
      get: (key: string) => env.get(key),
      getAll: () => [...env],
    },
  };
  const exports = instantiateGlue(
    (name) => {
      const module = app.load.modules[name];
      if (module === undefined) throw new Error(`missing core module ${name}`);
      return module;
    },
    imports,
    (module, importObject) => {
      bindScalarImports(importObject, app.wasi.imports);
      const instance = new WebAssembly.Instance(module, importObject);
      for (const value of Object.values(instance.exports)) {
        if (value instanceof WebAssembly.Memory) memories.push(value);
      }
      return instance;
    },
  );
  if (app.load.world === 'wasi-http') {
    const key = Object.keys(exports).find((name) => name.startsWith('wasi:http/incoming-handler'));
    return { incomingHandler: exports[key ?? 'incomingHandler'] as IncomingHandler, memories };
  }
  const handle = exports.handle as (request: GuestRequest) => GuestResponse;
  return { handle, memories };
}

/**
 * Host functions that take nothing and return one u64: their canonical lowering is the identity (`() -> i64`),
 * so the core instance calls them directly instead of through the glue's trampolines, which build and settle a
 * task and a subtask on every call. A StarlingMonkey request reads the monotonic clock ~20 times.
 */
const SCALAR_IMPORTS: readonly (readonly [string, string, string])[] = [
  ['wasi:clocks/monotonic-clock', 'now', 'now'],
  ['wasi:clocks/monotonic-clock', 'resolution', 'resolution'],
  ['wasi:random/random', 'get-random-u64', 'getRandomU64'],
  ['wasi:random/insecure', 'get-insecure-random-u64', 'getInsecureRandomU64'],
];

function bindScalarImports(
  importObject: WebAssembly.Imports | undefined,
  host: Record<string, Record<string, unknown>>,
): void {
  if (importObject === undefined || importObject === null) return;
  for (const [name, functions] of Object.entries(importObject)) {
    if (functions === undefined || functions === null) continue;
    const at = name.indexOf('@');
    const unversioned = at < 0 ? name : name.slice(0, at);
    for (const [iface, coreName, hostName] of SCALAR_IMPORTS) {
      if (iface !== unversioned || typeof functions[coreName] !== 'function') continue;
      const direct = host[iface]?.[hostName];
      if (typeof direct === 'function') functions[coreName] = direct as () => bigint;
    }
  }
}

/** The linear memory an instance holds, bytes (all its memories). */
export function memoryBytes(instance: Instance | undefined): number {
  if (instance === undefined) return 0;
  let total = 0;
  for (const memory of instance.memories) total += memory.buffer.byteLength;
  return total;
}

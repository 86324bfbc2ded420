import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { FromWorkerMessage, HostCall, ToWorkerMessage, WorkerData } from './protocol.js';

/** One guest worker thread and what the main thread knows of it. */
export interface GuestWorker {
  readonly index: number;
  readonly worker: Worker;
  readonly hostPort: MessagePort;
  readonly hostFlag: Int32Array;
  /** App versions (`key`) this worker has been sent. */
  readonly loaded: Set<string>;
  /** Glue modules (paths) it has imported: ES modules are never freed, so the worker is recycled past a limit. */
  readonly glues: Set<string>;
  /** The request it is running, if any (one at a time: guests are synchronous). */
  busyWith: number | undefined;
  alive: boolean;
}

/** What the pool reports to its owner. */
export interface GuestPoolEvents {
  message(worker: GuestWorker, message: FromWorkerMessage): void;
  /** A guest asked the main thread for something (MuDB, outbound HTTP). */
  hostCall(worker: GuestWorker, call: HostCall): void;
  /** The worker died on its own (not through {@link GuestPool.replace}). */
  exit(worker: GuestWorker, error: unknown): void;
}

function workerEntry(): { url: URL | string; eval: boolean } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // running from source (tests): load the TypeScript worker through tsx, a dev dependency
    const tsx = createRequire(here)
      .resolve('tsx/esm/api')
      .replace(/index\.cjs$/, 'index.mjs');
    const url = new URL('./worker.ts', here).href;
    const code = `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
    return { url: code, eval: true };
  }
  return { url: new URL('./worker.js', here), eval: false };
}

/** A fixed-size pool of guest worker threads; a terminated worker is replaced at once. */
export class GuestPool {
  readonly workers: GuestWorker[] = [];
  readonly #events: GuestPoolEvents;

  constructor(size: number, events: GuestPoolEvents) {
    this.#events = events;
    for (let index = 0; index < size; index++) this.workers.push(this.#spawn(index));
  }

  #spawn(index: number): GuestWorker {
    const entry = workerEntry();
    const { port1, port2 } = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    const data: WorkerData = { hostPort: port2, hostFlag: flag };
    const worker = new Worker(entry.url, { eval: entry.eval, workerData: data, transferList: [port2] });
    const slot: GuestWorker = {
      index,
      worker,
      hostPort: port1,
      hostFlag: new Int32Array(flag),
      loaded: new Set(),
      glues: new Set(),
      busyWith: undefined,
      alive: true,
    };
    worker.on('message', (message: FromWorkerMessage) => this.#events.message(slot, message));
    port1.on('message', (call: HostCall) => this.#events.hostCall(slot, call));
    let failure: unknown;
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('exit', (code) => {
      port1.close();
      if (!slot.alive) return;
      slot.alive = false;
      this.workers[index] = this.#spawn(index);
      this.#events.exit(slot, failure ?? new Error(`guest worker exited with code ${code}`));
    });
    return slot;
  }

  /** Sends a message to a worker (transferring `transfer`). */
  post(worker: GuestWorker, message: ToWorkerMessage, transfer: ArrayBuffer[] = []): void {
    worker.worker.postMessage(message, transfer);
  }

  /** Stops a worker (a runaway guest) and starts a fresh one in its place; returns the new one. */
  replace(worker: GuestWorker): GuestWorker {
    if (!worker.alive) return this.workers[worker.index]!;
    worker.alive = false;
    void worker.worker.terminate();
    const fresh = this.#spawn(worker.index);
    this.workers[worker.index] = fresh;
    return fresh;
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    for (const worker of workers) worker.alive = false;
    await Promise.all(workers.map((worker) => worker.worker.terminate()));
  }
}

import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type {
  FromWorkerMessage,
  HostCall,
  HostPortMessage,
  HostReply,
  PortMessageFromWorker,
  PortMessageToWorker,
  ToWorkerMessage,
  WorkerData,
} from '../threads/messages.js';
import { createSlots, Slot } from '../threads/slot-codec.js';
import {
  CALL_SLOT,
  createControl,
  FROM_WORKER,
  HOST_CALLS,
  HOST_REPLY,
  MAIN_PARKED,
  REPLY_IN_SLOT,
  REPLY_ON_PORT,
  REQUEST_SLOT,
  RESPONSE_SLOT,
  SPARES_TO_MAKE,
  SPIN_READY,
  spinFor,
  TO_WORKER,
  WORKER_PARKED,
} from '../threads/wake-channel.js';
import { workerEntry } from '../worker-entry.js';

/** How long one polling turn of the main thread busy-waits before it lets the event loop run, µs. */
const INLINE_SPIN_MICROS = 5;

/** One guest worker thread and what the main thread knows of it. */
export interface GuestWorker {
  readonly index: number;
  readonly worker: Worker;
  /** Requests out, responses in (when they miss the slots). */
  readonly port: MessagePort;
  /** Host calls in, their replies out (when they miss the slots). */
  readonly hostPort: MessagePort;
  /** The control block shared with the worker (see wake-channel.ts). */
  readonly control: Int32Array;
  /** Requests and KV replies to the worker. */
  readonly toWorker: Slot;
  /** Responses and KV calls from the worker. */
  readonly fromWorker: Slot;
  /** Messages sent so far (port and slot): each carries its number, so the worker takes them in order. */
  sent: number;
  /** Messages taken from `port` so far (by event or by polling). */
  portTaken: number;
  /** Host calls taken from `hostPort` so far. */
  hostPortTaken: number;
  /** Responses taken from the slot so far. */
  slotResponsesTaken: number;
  /** Host calls taken from the slot so far. */
  slotCallsTaken: number;
  /** App versions (`key`) this worker has been sent. */
  readonly loaded: Set<string>;
  /** Glue modules (paths) it has imported: ES modules are never freed, so the worker is recycled past a limit. */
  readonly glues: Set<string>;
  /** The request it is running, if any (one at a time: guests are synchronous). */
  busyWith: number | undefined;
  /** Whether its code has loaded: a request's deadline must not run while the thread still boots. */
  ready: boolean;
  alive: boolean;
}

/** What the pool reports to its owner. */
export interface GuestPoolEvents {
  message(worker: GuestWorker, message: FromWorkerMessage): void;
  /** A guest asked the main thread for something (MuDB, outbound HTTP). */
  hostCall(worker: GuestWorker, call: HostCall): void;
  /** The worker died on its own (not through {@link GuestPool.replace}). */
  exit(worker: GuestWorker, error: unknown): void;
  /** A new worker has booted and can take requests. */
  ready(worker: GuestWorker): void;
}

/**
 * A fixed-size pool of guest worker threads; a terminated worker is replaced at once.
 *
 * Warm requests, their responses and single-key KV calls travel through shared-memory slots (slot-codec.ts); the rest
 * on MessagePorts. While a worker is busy, the main thread polls the workers' control blocks on each turn of its
 * event loop (setImmediate: timers and I/O keep running) for up to `spinMicros` after the last message, so a
 * fast guest's answer or KV call is seen without waking this thread through the kernel. Past that budget it
 * parks, and a worker that writes a slot then posts a wake-up message on the port.
 */
export class GuestPool {
  readonly workers: GuestWorker[] = [];
  readonly #events: GuestPoolEvents;
  readonly #spinMicros: number;
  #polling = false;
  #pollUntil = 0;

  constructor(size: number, spinMicros: number, events: GuestPoolEvents) {
    this.#events = events;
    this.#spinMicros = spinMicros;
    for (let index = 0; index < size; index++) this.workers.push(this.#spawn(index));
  }

  #spawn(index: number): GuestWorker {
    const entry = workerEntry('worker');
    const requests = new MessageChannel();
    const host = new MessageChannel();
    const control = createControl();
    if (this.#polling) control[MAIN_PARKED] = 0;
    const slots = createSlots();
    const data: WorkerData = {
      port: requests.port2,
      hostPort: host.port2,
      control: control.buffer as SharedArrayBuffer,
      slots,
      spinMicros: this.#spinMicros,
    };
    const worker = new Worker(entry.url, {
      eval: entry.eval,
      workerData: data,
      transferList: [requests.port2, host.port2],
    });
    const slot: GuestWorker = {
      index,
      worker,
      port: requests.port1,
      hostPort: host.port1,
      control,
      toWorker: new Slot(slots, 0),
      fromWorker: new Slot(slots, 1),
      sent: 0,
      portTaken: 0,
      hostPortTaken: 0,
      slotResponsesTaken: 0,
      slotCallsTaken: 0,
      loaded: new Set(),
      glues: new Set(),
      busyWith: undefined,
      ready: false,
      alive: true,
    };
    slot.port.on('message', (message: PortMessageFromWorker) => {
      slot.portTaken++;
      this.#receive(slot, message);
      this.#drain(slot);
    });
    slot.hostPort.on('message', (message: HostPortMessage) => {
      slot.hostPortTaken++;
      if (!('type' in message)) this.#events.hostCall(slot, message);
      this.#drain(slot);
    });
    let failure: unknown;
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('exit', (code) => {
      slot.port.close();
      slot.hostPort.close();
      if (!slot.alive) return;
      slot.alive = false;
      this.workers[index] = this.#spawn(index);
      this.#events.exit(slot, failure ?? new Error(`guest worker exited with code ${code}`));
    });
    return slot;
  }

  /**
   * Sends a message to a worker: a request through its slot when it fits, else on its port (transferring
   * `transfer`). The main thread then polls for the answer, unless `expectedMicros` (how long such requests
   * usually take) says it would come after the polling budget: polling then only takes a core the guest needs.
   */
  post(worker: GuestWorker, message: ToWorkerMessage, transfer: ArrayBuffer[] = [], expectedMicros = 0): void {
    const seq = ++worker.sent;
    const control = worker.control;
    if (message.type === 'request' && worker.toWorker.writeRequest(seq, message)) {
      Atomics.add(control, REQUEST_SLOT, 1);
      if (Atomics.load(control, WORKER_PARKED) === 1) this.#postToWorker(worker, { type: 'wake' });
    } else {
      this.#postToWorker(worker, { ...message, seq }, transfer);
    }
    if (message.type === 'request' && expectedMicros <= this.#spinMicros) this.#poll();
  }

  #postToWorker(worker: GuestWorker, message: PortMessageToWorker, transfer: ArrayBuffer[] = []): void {
    worker.port.postMessage(message, transfer);
    Atomics.add(worker.control, TO_WORKER, 1);
  }

  /** Answers a worker's pending host call. */
  reply(worker: GuestWorker, reply: HostReply): void {
    if (!worker.alive) return;
    if (worker.toWorker.writeReply(reply)) {
      Atomics.store(worker.control, HOST_REPLY, REPLY_IN_SLOT);
    } else {
      worker.hostPort.postMessage(reply);
      Atomics.store(worker.control, HOST_REPLY, REPLY_ON_PORT);
    }
    Atomics.notify(worker.control, HOST_REPLY);
    this.#poll();
  }

  readonly #anyNews = (): boolean => {
    for (const worker of this.workers) if (worker.alive && this.#hasNews(worker)) return true;
    return false;
  };

  #receive(worker: GuestWorker, message: PortMessageFromWorker): void {
    if (message.type === 'wake') return;
    if (message.type === 'ready') {
      worker.ready = true;
      this.#events.ready(worker);
      return;
    }
    this.#events.message(worker, message);
  }

  /** Whether a worker has written or posted something not taken yet. */
  #hasNews(worker: GuestWorker): boolean {
    const control = worker.control;
    return (
      Atomics.load(control, FROM_WORKER) !== worker.portTaken ||
      Atomics.load(control, RESPONSE_SLOT) !== worker.slotResponsesTaken ||
      Atomics.load(control, HOST_CALLS) !== worker.hostPortTaken ||
      Atomics.load(control, CALL_SLOT) !== worker.slotCallsTaken
    );
  }

  /** Takes everything a worker has sent (ports and slots) and hands it on; returns whether there was any. */
  #drain(worker: GuestWorker): boolean {
    let found = false;
    const control = worker.control;
    while (worker.alive && this.#hasNews(worker)) {
      found = true;
      if (Atomics.load(control, FROM_WORKER) !== worker.portTaken) {
        const received = receiveMessageOnPort(worker.port);
        if (received !== undefined) {
          worker.portTaken++;
          this.#receive(worker, received.message as PortMessageFromWorker);
          continue;
        }
      }
      if (Atomics.load(control, RESPONSE_SLOT) !== worker.slotResponsesTaken) {
        worker.slotResponsesTaken++;
        this.#events.message(worker, worker.fromWorker.readResponse());
        continue;
      }
      if (Atomics.load(control, HOST_CALLS) !== worker.hostPortTaken) {
        const received = receiveMessageOnPort(worker.hostPort);
        if (received !== undefined) {
          worker.hostPortTaken++;
          const message = received.message as HostPortMessage;
          if (!('type' in message)) this.#events.hostCall(worker, message);
          continue;
        }
      }
      if (Atomics.load(control, CALL_SLOT) !== worker.slotCallsTaken) {
        worker.slotCallsTaken++;
        this.#events.hostCall(worker, worker.fromWorker.readCall());
        continue;
      }
      break; // a counter moved but its port message is not readable yet: its event will come
    }
    return found;
  }

  /** Starts (or extends) polling the workers for messages. */
  #poll(): void {
    if (this.#spinMicros <= 0) return;
    this.#pollUntil = performance.now() + this.#spinMicros / 1000;
    if (this.#polling) return;
    this.#polling = true;
    for (const worker of this.workers) Atomics.store(worker.control, MAIN_PARKED, 0);
    setImmediate(this.#pollStep);
  }

  readonly #pollStep = (): void => {
    let busy = false;
    let found = false;
    for (const worker of this.workers) {
      if (this.#drain(worker)) found = true;
      if (worker.alive && worker.busyWith !== undefined) busy = true;
    }
    if (busy && !found) {
      // a turn of the event loop costs ~2 µs: wait a few µs in line first, where an answer is seen at once
      found = spinFor(this.#anyNews, INLINE_SPIN_MICROS) === SPIN_READY;
      if (found) for (const worker of this.workers) this.#drain(worker);
    }
    if (found) this.#pollUntil = performance.now() + this.#spinMicros / 1000;
    if (busy && performance.now() < this.#pollUntil) {
      setImmediate(this.#pollStep);
      return;
    }
    // park: from here on workers wake this thread with a port message; whatever came just before is taken now
    for (const worker of this.workers) Atomics.store(worker.control, MAIN_PARKED, 1);
    this.#polling = false;
    for (const worker of this.workers) this.#drain(worker);
  };

  /** The state of a worker's channel, for the operator's log when a request hangs. */
  describe(worker: GuestWorker): string {
    const control = worker.control;
    return (
      `channel: to worker ${worker.sent} sent, port ${Atomics.load(control, TO_WORKER)} slot ${Atomics.load(control, REQUEST_SLOT)}; ` +
      `from worker port ${Atomics.load(control, FROM_WORKER)}/${worker.portTaken} slot ${Atomics.load(control, RESPONSE_SLOT)}/${worker.slotResponsesTaken} ` +
      `calls ${Atomics.load(control, HOST_CALLS)}/${worker.hostPortTaken}+${Atomics.load(control, CALL_SLOT)}/${worker.slotCallsTaken} ` +
      `reply ${Atomics.load(control, HOST_REPLY)}; parked worker ${Atomics.load(control, WORKER_PARKED)} main ${Atomics.load(control, MAIN_PARKED)} polling ${this.#polling}`
    );
  }

  /** Proxy-world spare instances the live workers have yet to make (each worker counts its own, see wake-channel.ts). */
  sparesToMake(): number {
    let total = 0;
    for (const worker of this.workers) if (worker.alive) total += Atomics.load(worker.control, SPARES_TO_MAKE);
    return total;
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

/**
 * This guest worker's end of its link with the main thread: the port, the control block, the two slots, the host
 * call client, what the worker has taken so far, and how it sends. Read from `workerData` once, when the thread
 * starts; every guest module imports it from here.
 */
import { workerData } from 'node:worker_threads';
import type { PortMessageFromWorker, ResponseMessage, WorkerData } from '../threads/messages.js';
import { Slot } from '../threads/slot-codec.js';
import { FROM_WORKER, MAIN_PARKED, REQUEST_SLOT, RESPONSE_SLOT, TO_WORKER } from '../threads/wake-channel.js';
import { createKeyValueImports, HostCallClient } from './keyvalue-host.js';

/** What the runtime gave this worker when it started it. */
export const data = workerData as WorkerData;
/** Requests and loads in, responses and failures out (when they miss the slots). */
export const port = data.port;
/** The control block shared with the main thread (see wake-channel.ts). */
export const control = new Int32Array(data.control);
/** Requests and host call replies from the main thread. */
export const toWorker = new Slot(data.slots, 0);
/** Responses and host calls to the main thread. */
export const fromWorker = new Slot(data.slots, 1);
/** The synchronous channel of the guests' host calls (MuDB, outbound HTTP). */
export const kv = new HostCallClient(data.hostPort, control, { toWorker, fromWorker }, data.spinMicros);
/** wasi:keyvalue for every guest of this worker, over {@link kv}. */
export const kvImports = createKeyValueImports(kv);

/**
 * What the worker has taken so far of what the main thread sent: port messages (by event or while spinning), slot
 * requests, and the number of the next message to handle (the main thread numbers port and slot messages in one
 * sequence).
 */
export const inbox = { portTaken: 0, slotTaken: 0, nextSeq: 1 };

/** Whether the main thread has written or posted a message the worker has not taken yet. */
export function hasMessage(): boolean {
  return (
    Atomics.load(control, REQUEST_SLOT) !== inbox.slotTaken || Atomics.load(control, TO_WORKER) !== inbox.portTaken
  );
}

/** Posts a message to the main thread (and counts it, so a polling main thread sees it). */
export function send(message: PortMessageFromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.add(control, FROM_WORKER, 1);
}

/** Sends a complete response through the slot when it fits (waking a parked main thread), else on the port. */
export function sendResponse(message: ResponseMessage): void {
  if (!fromWorker.writeResponse(message)) {
    send(message, [message.body.buffer as ArrayBuffer]);
    return;
  }
  Atomics.add(control, RESPONSE_SLOT, 1);
  if (Atomics.load(control, MAIN_PARKED) === 1) send({ type: 'wake' });
}

/**
 * A guest worker: holds warm instances of apps and runs one request at a time, synchronously.
 * Started by the runtime; never imported by users.
 *
 * This module is the worker's message loop: it takes the main thread's messages in the order they were sent (from
 * the request slot or the port), then busy-waits a while for the next one, or parks in its event loop.
 */

import { receiveMessageOnPort } from 'node:worker_threads';
import type { PortMessageToWorker, ToWorkerMessage } from '../threads/messages.js';
import {
  AdaptiveSpin,
  REQUEST_SLOT,
  SPIN_PREEMPTED,
  SPIN_READY,
  spinFor,
  TO_WORKER,
  WORKER_PARKED,
} from '../threads/wake-channel.js';
import { loadApp, unloadApp } from './loaded-apps.js';
import { handleRequest } from './serve-request.js';
import { control, data, hasMessage, inbox, port, send, toWorker } from './worker-thread.js';

let spinScheduled = false;
const spinBudget = new AdaptiveSpin(data.spinMicros);
/** When the worker last finished a message (performance.now() ms), or -1 while a message is being handled. */
let idleSince = -1;

function handle(message: ToWorkerMessage, seq: number): void {
  inbox.nextSeq = seq + 1;
  if (idleSince >= 0) spinBudget.arrived((performance.now() - idleSince) * 1000);
  idleSince = -1;
  switch (message.type) {
    case 'load':
      loadApp(message);
      break;
    case 'unload':
      unloadApp(message.key);
      break;
    case 'request':
      void handleRequest(message);
      break;
  }
}

/** Handles the request in the slot if it is the next message; returns whether it did. */
function takeSlot(): boolean {
  if (Atomics.load(control, REQUEST_SLOT) === inbox.slotTaken) return false;
  const seq = toWorker.peekSeq();
  if (seq !== inbox.nextSeq) return false; // an earlier message is still on the port
  inbox.slotTaken++;
  handle(toWorker.readRequest(), seq);
  return true;
}

function takePortMessage(message: PortMessageToWorker): void {
  inbox.portTaken++;
  if (message.type === 'wake') {
    takeSlot();
    return;
  }
  // a slot request numbered before this message goes first (it is visible: it was written before this was posted)
  if (message.seq !== inbox.nextSeq) takeSlot();
  handle(message, message.seq);
}

/** Takes the next message, from the slot or the port; returns whether there was one. */
function takeNext(): boolean {
  if (takeSlot()) return true;
  if (Atomics.load(control, TO_WORKER) === inbox.portTaken) return false;
  const received = receiveMessageOnPort(port);
  if (received === undefined) return false;
  takePortMessage(received.message as PortMessageToWorker);
  return true;
}

/** After a message: busy-wait a while for the next one (in a later turn, so work it queued runs first), or park. */
function afterMessage(): void {
  if (spinScheduled) return;
  if (data.spinMicros > 0) {
    spinScheduled = true;
    setImmediate(spin);
  } else {
    idleSince = performance.now();
    park();
  }
}

function spin(): void {
  spinScheduled = false;
  idleSince = performance.now();
  const outcome = spinFor(hasMessage, spinBudget.micros);
  if (outcome === SPIN_READY) {
    if (takeNext()) afterMessage();
    else park();
    return;
  }
  if (outcome === SPIN_PREEMPTED) spinBudget.preempted();
  else spinBudget.expired();
  park();
}

/** Sleep in the event loop: the main thread now wakes this worker with a port message. */
function park(): void {
  Atomics.store(control, WORKER_PARKED, 1);
  // a slot request written before the flag was visible would otherwise wait for nothing
  if (!hasMessage()) return;
  Atomics.store(control, WORKER_PARKED, 0);
  if (takeNext()) afterMessage();
  else Atomics.store(control, WORKER_PARKED, 1); // on its way through the port: its event wakes us
}

port.on('message', (message: PortMessageToWorker) => {
  Atomics.store(control, WORKER_PARKED, 0);
  takePortMessage(message);
  afterMessage();
});
send({ type: 'ready' });

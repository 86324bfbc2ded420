/**
 * The signals the main thread and a guest worker share beside their message ports and slots (slot-codec.ts): an
 * Int32Array over a SharedArrayBuffer. Each side counts what it has sent on each path; the other side notices a
 * message by reading memory while it busy-waits, instead of being woken by the kernel.
 *
 * Why: on the VMs Mu nodes run on, waking a sleeping thread costs 50-85 µs (the sender's `postMessage` pays an
 * inter-processor interrupt through the hypervisor), and each request or KV call would pay two wake-ups. A thread
 * that has just worked keeps polling for a short while (spin-then-park, as adaptive mutexes do) and finds the next
 * message within a microsecond; once the budget is spent it sets its parked flag, checks the counters once more,
 * and sleeps in its event loop; a writer that sees the flag posts a wake-up message on the port.
 *
 * Imports nothing, so the worker bundle stays free of main-thread code.
 */

/** Messages the main thread has posted to the worker's port (loads, unloads, requests that missed the slot). */
export const TO_WORKER = 0;
/** Messages the worker has posted to the main thread's port (streamed chunks, failures, big responses). */
export const FROM_WORKER = 1;
/** Host calls (MuDB, outbound HTTP) the worker has posted on its host port. */
export const HOST_CALLS = 2;
/** 0 while a host call waits for its reply; {@link REPLY_ON_PORT} or {@link REPLY_IN_SLOT} once it is there. */
export const HOST_REPLY = 3;
/** Requests the main thread has written to the worker's slot (see slot-codec.ts). */
export const REQUEST_SLOT = 4;
/** Responses the worker has written to its slot. */
export const RESPONSE_SLOT = 5;
/** Host calls the worker has written to its slot. */
export const CALL_SLOT = 6;
/** 1 while the worker sleeps in its event loop: a slot message then needs a port message to wake it. */
export const WORKER_PARKED = 7;
/** 1 while the main thread does not poll: a slot message then needs a port message to wake it. */
export const MAIN_PARKED = 8;
/** 1 while the worker makes a spare instance between requests (the main thread prefers another worker then). */
export const WORKER_INSTANTIATING = 9;
/**
 * Proxy-world spare instances the worker has yet to make, over the apps it holds (0: every app has its spares).
 * Written by the worker where spares are taken and made; read only for monitoring (`stats().sparesToMake`).
 */
export const SPARES_TO_MAKE = 10;
/** Int32 slots in the control block. */
export const CONTROL_SLOTS = 11;

export const REPLY_ON_PORT = 1;
export const REPLY_IN_SLOT = 2;

/**
 * Default busy-wait budget, µs. Long enough that under a steady stream of requests neither thread sleeps: when
 * they take turns sleeping, the kernel tends to keep the pair on one CPU (wake-affine) and every hop then costs a
 * context switch (measured here: ~150 µs per warm request instead of ~65 µs with budgets of 30-300 µs).
 */
export const DEFAULT_SPIN_MICROS = 1000;

/**
 * How long a worker busy-waits for its next message: adapts to the gaps it sees between its answer and the next
 * message, so a worker whose requests arrive far apart stops burning CPU, and one that is fed back to back keeps
 * the full budget.
 */
export class AdaptiveSpin {
  readonly #max: number;
  #budget: number;

  constructor(maxMicros: number) {
    this.#max = maxMicros;
    this.#budget = maxMicros;
  }

  /** The current budget, µs. */
  get micros(): number {
    return this.#budget;
  }

  /** A message came `gapMicros` after the worker went idle (found by spinning, or by a wake-up). */
  arrived(gapMicros: number): void {
    if (gapMicros <= this.#max) this.#budget = Math.min(this.#max, Math.max(this.#budget * 2, gapMicros * 2, 8));
    else this.#budget = Math.floor(this.#budget / 2);
  }

  /** A spin ran out without a message. */
  expired(): void {
    this.#budget = Math.floor(this.#budget / 2);
  }

  /**
   * The thread was descheduled while it spun: another thread wants this core, and spinning only takes turns
   * with it. Stop until messages show again that they come soon after the worker goes idle.
   */
  preempted(): void {
    this.#budget = 0;
  }
}

/** A new control block for one worker. */
export function createControl(): Int32Array {
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  control[WORKER_PARKED] = 1;
  control[MAIN_PARKED] = 1;
  return control;
}

/** A gap between two reads of the clock longer than this (ms) means the spinning thread lost its core. */
const PREEMPTION_MS = 0.05;

/** Outcomes of {@link spinFor}. */
export const SPIN_READY = 1;
export const SPIN_EXPIRED = 0;
export const SPIN_PREEMPTED = 2;

/**
 * Busy-waits until `ready()` holds, for at most `micros` µs, and gives up early when the thread was descheduled
 * meanwhile (then another thread needs the core: spinning would only steal it).
 */
export function spinFor(ready: () => boolean, micros: number): number {
  if (ready()) return SPIN_READY;
  if (micros <= 0) return SPIN_EXPIRED;
  let last = performance.now();
  const deadline = last + micros / 1000;
  for (;;) {
    if (ready()) return SPIN_READY;
    const now = performance.now();
    if (now - last > PREEMPTION_MS) return SPIN_PREEMPTED;
    if (now >= deadline) return SPIN_EXPIRED;
    last = now;
  }
}

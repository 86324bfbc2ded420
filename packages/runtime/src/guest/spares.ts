/**
 * The proxy world's spare instances: a fetch-event instance serves one request, so each worker makes fresh ones
 * ahead of the requests, in its idle time.
 */
import { SPARES_TO_MAKE, WORKER_INSTANTIATING } from '../threads/wake-channel.js';
import { apps, type Instance, type Instantiate, instantiate, type LoadedApp } from './loaded-apps.js';
import { control, hasMessage } from './worker-thread.js';

/** Without a steady rate, spares are made once the worker has had no request for this long (ms). */
const REFILL_IDLE_MS = 5;

/**
 * The pace of this worker's requests (performance.now() ms), which the request loop writes: when the worker last
 * finished a request of any app, when the last request arrived, and the gap between it and the one before.
 */
export const requestPace = {
  lastRequestEndedAt: 0,
  lastArrivalAt: Number.NEGATIVE_INFINITY,
  lastGapMs: Number.POSITIVE_INFINITY,
};

/**
 * Makes the proxy world's spare instances off the requests' critical path. An instantiation cannot be
 * interrupted (4-5 ms for StarlingMonkey), so when to make one is a guess about the next request:
 * - none left: at once (the next request would have to make one anyway);
 * - requests arriving at a steady rate with room for an instantiation between them (the last gap is at most 4
 *   instantiations, and what remains of it is 1.1 instantiations or more): at once;
 * - otherwise (within a burst, or after a pause that may start one): after `REFILL_IDLE_MS` without a request,
 *   so a burst is served from the spares instead of waiting behind an instantiation begun between two of its
 *   requests.
 * One per event-loop turn; while a message waits, the step waits for it to be taken. The main thread sees
 * `WORKER_INSTANTIATING` and sends requests to another worker with the app loaded, if one is idle. An app whose
 * spare could not be made (say, a start function that calls the host, which only a request may do) gets no
 * more: each of its requests instantiates, and reports any failure.
 */
export function refillSpares(app: LoadedApp, instantiateGlue: Instantiate): void {
  if (app.sparesFailed || app.spares.length >= app.load.spares) return;
  const now = app.spares.length === 0 || steadyRateAllows(app);
  if (app.refill !== undefined) {
    // a step is queued: it stands, unless it is a wait that has just become a reason to go now
    if (!now || app.refill.kind === 'immediate') return;
    clearTimeout(app.refill.timer);
  }
  scheduleRefill(app, instantiateGlue, now ? 0 : REFILL_IDLE_MS, now);
}

/** Takes the newest spare (its memory is the likeliest in cache), if there is one. */
export function takeSpare(app: LoadedApp): Instance | undefined {
  const spare = app.spares.pop();
  // an app whose spares failed no longer counts any as to be made
  if (spare !== undefined && !app.sparesFailed) Atomics.add(control, SPARES_TO_MAKE, 1);
  return spare;
}

function scheduleRefill(app: LoadedApp, instantiateGlue: Instantiate, delayMs: number, now: boolean): void {
  app.refill =
    delayMs === 0
      ? { kind: 'immediate', timer: setImmediate(refillStep, app, instantiateGlue, now) }
      : { kind: 'timer', timer: setTimeout(refillStep, delayMs, app, instantiateGlue, false) };
}

function refillStep(app: LoadedApp, instantiateGlue: Instantiate, now: boolean): void {
  app.refill = undefined;
  if (apps.get(app.load.key) !== app) return;
  const idleMs = performance.now() - requestPace.lastRequestEndedAt;
  if (!now && app.spares.length > 0 && idleMs < REFILL_IDLE_MS) {
    scheduleRefill(app, instantiateGlue, REFILL_IDLE_MS - idleMs, false);
    return;
  }
  // set before the check, which narrows (cannot close) the window in which the main thread picks this worker as
  // it starts an instantiation
  Atomics.store(control, WORKER_INSTANTIATING, 1);
  if (hasMessage()) {
    Atomics.store(control, WORKER_INSTANTIATING, 0);
    scheduleRefill(app, instantiateGlue, 1, false); // taken in this turn's poll phase; `now` no longer holds after
    return;
  }
  try {
    const started = performance.now();
    app.spares.push(instantiate(app, instantiateGlue));
    Atomics.sub(control, SPARES_TO_MAKE, 1);
    const ms = performance.now() - started;
    app.instantiateMs = app.instantiateMs === undefined ? ms : app.instantiateMs * 0.8 + ms * 0.2;
  } catch {
    app.sparesFailed = true;
    Atomics.sub(control, SPARES_TO_MAKE, app.load.spares - app.spares.length);
    return;
  } finally {
    Atomics.store(control, WORKER_INSTANTIATING, 0);
  }
  if (app.spares.length < app.load.spares) scheduleRefill(app, instantiateGlue, 0, steadyRateAllows(app));
}

/** Whether requests come at a steady rate that leaves room for one instantiation before the next. */
function steadyRateAllows(app: LoadedApp): boolean {
  const instantiateMs = app.instantiateMs;
  if (instantiateMs === undefined) return false;
  const remainingMs = requestPace.lastGapMs - (performance.now() - requestPace.lastArrivalAt);
  return requestPace.lastGapMs <= 4 * instantiateMs && remainingMs >= 1.1 * instantiateMs;
}

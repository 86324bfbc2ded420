/** One app of a synthetic trace. */
export interface TraceApp {
  id: string;
  /** `timer` = fires on a fixed period (cron); `event` = HTTP/queue/event triggered, Poisson or bursty. */
  kind: 'timer' | 'event';
  /** Mean invocations per day drawn for the app (before the trace's cap). */
  dailyRate: number;
  /** The period of a timer app (ms); 0 for event apps. */
  periodMs: number;
  /** Mean invocations per burst (1 = plain Poisson). */
  burstSize: number;
  sizeBytes: number;
  coldStartMs: number;
}

/** A seeded synthetic invocation trace: `times[i]` (ms, ascending) is an invocation of `apps[appIndexes[i]]`. */
export interface Trace {
  seed: number;
  durationMs: number;
  apps: TraceApp[];
  times: Float64Array;
  appIndexes: Uint32Array;
}

/** Parameters of {@link generateTrace}; the defaults follow the Azure Functions 2019 trace (see docs/cache.md). */
export interface TraceOptions {
  /** PRNG seed (default 1). The same seed and options give the same trace. */
  seed?: number;
  /** Number of apps (default 2,000). */
  apps?: number;
  /** Trace length in ms (default 24 hours). */
  durationMs?: number;
  /** log10 of invocations per day ~ Normal(mean, sd) (default 1.6 and 1.77: 45% of apps ≤ 1/hour, 81% ≤ 1/minute). */
  log10DailyRateMean?: number;
  log10DailyRateSd?: number;
  /** Cap on an app's mean rate, to bound the trace's size (default 20,000/day ≈ one every 4 s). */
  maxDailyRate?: number;
  /** Share of apps triggered only by a timer (default 0.2; Azure: 16% of functions, 29% of apps have one). */
  timerShare?: number;
  /** Share of event apps whose invocations come in bursts (default 0.4). */
  burstyShare?: number;
  /** Memory: lognormal with this median (default 170 MiB) and log-sd (default 0.67: p90 ≈ 400 MiB). */
  sizeMedianBytes?: number;
  sizeLogSd?: number;
  /** Amplitude of the shared diurnal rate swing (default 0.5: peak 1.5× the mean, trough 0.5×). */
  diurnalAmplitude?: number;
}

const MIB = 1_048_576;
const MINUTE = 60_000;
const TIMER_PERIODS = [1, 5, 10, 15, 30, 60, 120, 240, 360, 720, 1440].map((minutes) => minutes * MINUTE);

/**
 * A deterministic PRNG (mulberry32) returning floats in [0, 1).
 *
 * @example
 * ```ts
 * const random = createRandom(42);
 * random(); // same sequence for the same seed
 * ```
 */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function normal(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean;
}

/**
 * Generates a seeded synthetic trace with the shape published for Azure Functions (Shahrad et al., ATC'20):
 * per-app rates spread over 8 orders of magnitude (log-normal), timer apps on cron periods, bursty and diurnal
 * event apps, log-normal memory sizes and cold-start costs that grow with size.
 *
 * @throws {RangeError} on a non-positive app count or duration.
 * @example
 * ```ts
 * const trace = generateTrace({ seed: 7, apps: 500, durationMs: 3_600_000 });
 * trace.times.length; // invocations in the hour
 * ```
 */
export function generateTrace(options: TraceOptions = {}): Trace {
  const seed = options.seed ?? 1;
  const appCount = options.apps ?? 2_000;
  const durationMs = options.durationMs ?? 86_400_000;
  if (!Number.isInteger(appCount) || appCount <= 0 || appCount >= 2 ** 20) {
    throw new RangeError(`generateTrace: apps must be an integer in [1, 2^20), got ${appCount}`);
  }
  if (!Number.isFinite(durationMs) || durationMs <= 0 || durationMs >= 2 ** 32) {
    throw new RangeError(`generateTrace: durationMs must be in (0, 2^32), got ${durationMs}`);
  }
  const rateMean = options.log10DailyRateMean ?? 1.6;
  const rateSd = options.log10DailyRateSd ?? 1.77;
  const maxDailyRate = options.maxDailyRate ?? 20_000;
  const timerShare = options.timerShare ?? 0.2;
  const burstyShare = options.burstyShare ?? 0.4;
  const sizeMedian = options.sizeMedianBytes ?? 170 * MIB;
  const sizeLogSd = options.sizeLogSd ?? 0.67;
  const diurnal = options.diurnalAmplitude ?? 0.5;
  const random = createRandom(seed);
  const apps: TraceApp[] = [];
  // Events packed as time (integer ms) * 2^20 + app index: one numeric sort orders them, ties by app.
  const packed: number[] = [];
  const dayPhase = random();

  for (let index = 0; index < appCount; index++) {
    const dailyRate = 10 ** (rateMean + rateSd * normal(random));
    const rate = Math.min(dailyRate, maxDailyRate);
    const sizeMib = Math.min(2048, Math.max(16, (sizeMedian / MIB) * Math.exp(sizeLogSd * normal(random))));
    // Cold start grows with size: Mu measured 31-36 ms (1.6 MB QuickJS) to 140-175 ms (14 MB StarlingMonkey).
    const coldStartMs = Math.round((20 + 0.8 * sizeMib) * Math.exp(0.5 * normal(random)));
    const isTimer = random() < timerShare;
    const app: TraceApp = {
      id: `app-${String(index).padStart(5, '0')}`,
      kind: isTimer ? 'timer' : 'event',
      dailyRate,
      periodMs: 0,
      burstSize: 1,
      sizeBytes: Math.round(sizeMib * MIB),
      coldStartMs,
    };
    const push = (time: number) => {
      if (time >= 0 && time < durationMs) packed.push(Math.floor(time) * 1_048_576 + index);
    };
    if (isTimer) {
      // The cron period nearest (in log scale) to the drawn rate.
      const wanted = 86_400_000 / rate;
      let period = TIMER_PERIODS[0]!;
      for (const candidate of TIMER_PERIODS) {
        if (Math.abs(Math.log(candidate / wanted)) < Math.abs(Math.log(period / wanted))) period = candidate;
      }
      app.periodMs = period;
      const offset = Math.floor(random() * (period / MINUTE)) * MINUTE; // cron fires on whole minutes
      const fanOut = random() < 0.3 ? 2 + Math.floor(random() * 3) : 1; // several functions on one schedule
      for (let time = offset; time < durationMs; time += period) {
        for (let k = 0; k < fanOut; k++) push(time + random() * 2_000); // scheduler jitter
      }
    } else {
      const bursty = random() < burstyShare;
      app.burstSize = bursty ? 2 + exponential(random, 8) : 1;
      const appPhase = dayPhase + 0.1 * normal(random);
      const clusterRatePerMs = rate / app.burstSize / 86_400_000;
      const peak = clusterRatePerMs * (1 + diurnal);
      // Thinning gives a Poisson process whose rate follows the diurnal curve.
      for (let time = exponential(random, 1 / peak); time < durationMs; time += exponential(random, 1 / peak)) {
        const level = 1 + diurnal * Math.sin(2 * Math.PI * (time / 86_400_000 + appPhase));
        if (random() * (1 + diurnal) > level) continue;
        push(time);
        if (bursty) {
          // Geometric burst length with the app's mean, invocations a few seconds apart.
          let at = time;
          while (random() > 1 / app.burstSize) {
            at += exponential(random, 3_000);
            push(at);
          }
        }
      }
    }
    apps.push(app);
  }

  const sorted = Float64Array.from(packed).sort();
  const times = new Float64Array(sorted.length);
  const appIndexes = new Uint32Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) {
    const value = sorted[i]!;
    const index = value % 1_048_576;
    appIndexes[i] = index;
    times[i] = (value - index) / 1_048_576;
  }
  return { seed, durationMs, apps, times, appIndexes };
}

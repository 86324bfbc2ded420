/**
 * Per-app histogram of idle times (time between the ends of consecutive invocations), as in the hybrid histogram
 * policy of "Serverless in the Wild" (Shahrad et al., USENIX ATC'20, section 4.2): 1-minute bins over a 4-hour
 * range, plus a count of out-of-bound idle times. Updates are O(1); window queries scan only the occupied bins.
 */
export class IdleHistogram {
  readonly binMs: number;
  readonly binCount: number;
  // Allocated on the first in-range idle time: most apps are invoked rarely and never need it.
  #bins: Uint32Array | undefined;
  /** Idle times that fell inside the range. */
  inBound = 0;
  /** Idle times longer than the range. */
  outOfBound = 0;
  /** Sum of squared bin counts, kept to give the bins' coefficient of variation in O(1). */
  #sumOfSquares = 0;
  /** Highest occupied bin + 1. */
  #top = 0;
  /** Recent out-of-bound idle times (ms), newest last, for the long-idle predictor. */
  readonly recentLong: number[] = [];

  constructor(binMs = 60_000, binCount = 240) {
    this.binMs = binMs;
    this.binCount = binCount;
  }

  /** The histogram's range in ms (4 hours by default). */
  get rangeMs(): number {
    return this.binMs * this.binCount;
  }

  /** Records one idle time. */
  add(idleMs: number): void {
    const bin = Math.floor(idleMs / this.binMs);
    if (bin >= this.binCount) {
      this.outOfBound++;
      this.recentLong.push(idleMs);
      if (this.recentLong.length > 8) this.recentLong.shift();
      return;
    }
    this.#bins ??= new Uint32Array(this.binCount);
    const count = this.#bins[bin]!;
    this.#bins[bin] = count + 1;
    this.#sumOfSquares += 2 * count + 1;
    this.inBound++;
    if (bin + 1 > this.#top) this.#top = bin + 1;
  }

  /** Idle times recorded. */
  get samples(): number {
    return this.inBound + this.outOfBound;
  }

  /** Coefficient of variation of the bin counts (0 when empty): high means idle times concentrate in few bins. */
  binCountCv(): number {
    const n = this.binCount;
    if (this.inBound === 0) return 0;
    const mean = this.inBound / n;
    const variance = Math.max(0, this.#sumOfSquares / n - mean * mean);
    return Math.sqrt(variance) / mean;
  }

  /** The lower edge (ms) of the bin holding the `fraction` quantile of in-bound idle times. */
  lowerPercentileMs(fraction: number): number {
    const target = fraction * this.inBound;
    let seen = 0;
    for (let bin = 0; bin < this.#top; bin++) {
      seen += this.#bins![bin]!;
      if (seen > target) return bin * this.binMs;
    }
    return Math.max(0, this.#top - 1) * this.binMs;
  }

  /** The upper edge (ms) of the bin holding the `fraction` quantile of in-bound idle times. */
  upperPercentileMs(fraction: number): number {
    // Walk down from the top: the tail is short for most apps.
    const target = (1 - fraction) * this.inBound;
    let seen = 0;
    for (let bin = this.#top - 1; bin >= 0; bin--) {
      seen += this.#bins![bin]!;
      if (seen > target) return (bin + 1) * this.binMs;
    }
    return this.binMs;
  }
}

/** Keep-alive decision after an invocation: unload now and load at `prewarmMs`, keep until `prewarmMs + keepAliveMs`. */
export interface KeepAliveWindows {
  /** Delay after the invocation before the app is loaded again (0 = keep it loaded). */
  prewarmMs: number;
  /** How long the app stays loaded (from the invocation when `prewarmMs` is 0, else from the pre-warm). */
  keepAliveMs: number;
  /** Whether the windows come from a representative pattern (false = conservative fallback). */
  predictable: boolean;
}

/** Parameters of the hybrid histogram windows; the defaults are the paper's. */
export interface HistogramWindowOptions {
  /** Head percentile for the pre-warm window (paper: 5th). */
  headPercentile?: number;
  /** Tail percentile for the keep-alive window (paper: 99th). */
  tailPercentile?: number;
  /** Safety margin applied to both windows (paper: 10%). */
  margin?: number;
  /** Bin-count CV above which the histogram is representative (paper: 2). */
  cvThreshold?: number;
  /** Idle times needed before the histogram is trusted. */
  minSamples?: number;
  /** Fraction of out-of-bound idle times above which the long-idle predictor is used (paper: ARIMA). */
  outOfBoundFraction?: number;
}

/**
 * The hybrid histogram policy's windows for one app (Shahrad et al. 2020, Fig. 13): a representative histogram
 * gives pre-warm = head percentile − margin and keep-alive = tail percentile + margin; mostly out-of-bound idle
 * times use a time-series prediction (here the geometric mean of recent long idle times, in place of ARIMA) with a
 * 15% margin each side; otherwise a conservative fixed keep-alive of the histogram's range.
 */
export function histogramWindows(histogram: IdleHistogram, options: HistogramWindowOptions = {}): KeepAliveWindows {
  const head = options.headPercentile ?? 0.05;
  const tail = options.tailPercentile ?? 0.99;
  const margin = options.margin ?? 0.1;
  const cvThreshold = options.cvThreshold ?? 2;
  const minSamples = options.minSamples ?? 5;
  const oobFraction = options.outOfBoundFraction ?? 0.5;
  const total = histogram.inBound + histogram.outOfBound;
  if (total >= minSamples && histogram.outOfBound > oobFraction * total && histogram.recentLong.length > 0) {
    let logSum = 0;
    for (const idle of histogram.recentLong) logSum += Math.log(idle);
    const predicted = Math.exp(logSum / histogram.recentLong.length);
    return { prewarmMs: predicted * 0.85, keepAliveMs: predicted * 0.3, predictable: true };
  }
  if (histogram.inBound >= minSamples && histogram.binCountCv() > cvThreshold) {
    const prewarmMs = histogram.lowerPercentileMs(head) * (1 - margin);
    const tailMs = histogram.upperPercentileMs(tail) * (1 + margin);
    return { prewarmMs, keepAliveMs: Math.max(histogram.binMs, tailMs - prewarmMs), predictable: true };
  }
  return { prewarmMs: 0, keepAliveMs: histogram.rangeMs, predictable: false };
}

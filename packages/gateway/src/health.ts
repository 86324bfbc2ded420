import type { Upstream } from './node.js';
import type { NodeLoad } from './strategy.js';

/** Health settings of {@link createGateway}. */
export interface HealthOptions {
  /** Period of active checks in ms; 0 turns them off (passive ejection only). Default 5000. */
  intervalMs?: number;
  /** Deadline of one active check in ms. Default 2000. */
  timeoutMs?: number;
  /** Consecutive failed requests (errors, timeouts) that eject a node. Default 3. */
  ejectAfter?: number;
  /** First ejection length in ms; doubled on each ejection in a row. Default 1000. */
  baseEjectionMs?: number;
  /** Longest ejection in ms. Default 30000 (or baseEjectionMs if larger). */
  maxEjectionMs?: number;
}

/** A node's health as {@link Gateway.nodes} reports it. */
export interface NodeStatus {
  id: string;
  available: boolean;
  inFlight: number;
  /** Consecutive failures since the last success. */
  failures: number;
  /** Ejections in a row (the back-off exponent). */
  ejections: number;
  /** When an ejected node may come back (ms since the epoch), else 0. */
  ejectedUntil: number;
}

export type ResolvedHealth = Required<HealthOptions>;

/** Checks health options. @throws {RangeError} */
export function resolveHealth(options: HealthOptions = {}): ResolvedHealth {
  const baseEjectionMs = options.baseEjectionMs ?? 1000;
  const health = {
    intervalMs: options.intervalMs ?? 5000,
    timeoutMs: options.timeoutMs ?? 2000,
    ejectAfter: options.ejectAfter ?? 3,
    baseEjectionMs,
    maxEjectionMs: options.maxEjectionMs ?? Math.max(30_000, baseEjectionMs),
  };
  for (const [name, value] of Object.entries(health)) {
    const minimum = name === 'intervalMs' ? 0 : 1;
    if (!Number.isInteger(value) || value < minimum) {
      throw new RangeError(`health.${name} must be an integer ≥ ${minimum}, got ${value}.`);
    }
  }
  if (health.maxEjectionMs < health.baseEjectionMs) {
    throw new RangeError('health.maxEjectionMs must be ≥ health.baseEjectionMs.');
  }
  return health;
}

/**
 * One node's state: load and health. Ejection: after `ejectAfter` consecutive failures (or one failed
 * active check) the node is out for `baseEjectionMs × 2^(ejections − 1)` (capped). Then it is checked
 * actively (if it has a check) and comes back when the check passes, or comes back on probation, where
 * one more failure ejects it again for twice as long and one success clears the record.
 */
export class NodeRecord implements NodeLoad {
  inFlight = 0;
  available = true;
  failures = 0;
  ejections = 0;
  ejectedUntil = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    readonly id: string,
    readonly upstream: Upstream,
    readonly health: ResolvedHealth,
  ) {}

  /** A request got an answer. */
  succeeded(): void {
    this.failures = 0;
    if (this.available) this.ejections = 0;
  }

  /** A request failed in a way that is the node's fault. */
  failed(): void {
    this.failures++;
    const onProbation = this.ejections > 0;
    if (this.available && (this.failures >= this.health.ejectAfter || onProbation)) this.eject();
  }

  eject(): void {
    if (this.#closed) return;
    this.available = false;
    this.ejections++;
    const length = Math.min(this.health.baseEjectionMs * 2 ** (this.ejections - 1), this.health.maxEjectionMs);
    this.ejectedUntil = Date.now() + length;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#backOffOver(), length);
    this.#timer.unref();
  }

  async #backOffOver(): Promise<void> {
    if (this.#closed) return;
    const check = this.upstream.check;
    if (check !== undefined && this.health.intervalMs > 0 && !(await check(this.health.timeoutMs))) {
      this.eject();
      return;
    }
    if (this.#closed) return;
    this.available = true;
    this.ejectedUntil = 0;
    this.failures = 0;
  }

  /** One active check of an available node. */
  async activeCheck(): Promise<void> {
    const check = this.upstream.check;
    if (check === undefined || !this.available || this.#closed) return;
    if (await check(this.health.timeoutMs)) {
      if (this.available) this.failures = 0;
    } else if (this.available) {
      this.eject();
    }
  }

  status(): NodeStatus {
    return {
      id: this.id,
      available: this.available,
      inFlight: this.inFlight,
      failures: this.failures,
      ejections: this.ejections,
      ejectedUntil: this.ejectedUntil,
    };
  }

  close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    return this.upstream.close();
  }
}

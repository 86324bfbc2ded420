import type { WriteLimits, WriteOperation } from './backend.js';
import { QuotaExceededError } from './errors.js';

/** Limits of one namespace. */
export interface Quota {
  /** Largest key, in UTF-8 bytes (default 1,024; at most 65,535). */
  maxKeyBytes?: number;
  /** Largest value, in bytes (default 4 MiB). */
  maxValueBytes?: number;
  /** Most bytes (keys + values) the namespace may hold (default: no limit). */
  maxStoredBytes?: number;
}

/** A quota with every field set. */
export type ResolvedQuota = Required<Quota>;

/** The quota of a namespace given none: 1 KiB keys, 4 MiB values, no limit on stored bytes. */
export const DEFAULT_QUOTA: ResolvedQuota = Object.freeze({
  maxKeyBytes: 1024,
  maxValueBytes: 4 * 1024 * 1024,
  maxStoredBytes: Number.POSITIVE_INFINITY,
});

const MAX_KEY_BYTES = 65_535;

/** Validates a quota and fills in defaults. @throws TypeError, RangeError */
export function resolveQuota(quota: Quota | undefined): ResolvedQuota {
  if (quota === undefined) return DEFAULT_QUOTA;
  if (quota === null || typeof quota !== 'object') throw new TypeError('quota must be an object');
  const resolved = { ...DEFAULT_QUOTA, ...stripUndefined(quota) };
  for (const field of ['maxKeyBytes', 'maxValueBytes', 'maxStoredBytes'] as const) {
    const value = resolved[field];
    if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`quota.${field} must be a number`);
    if (value < 0 || (!Number.isInteger(value) && value !== Number.POSITIVE_INFINITY)) {
      throw new RangeError(`quota.${field} must be a non-negative integer or Infinity, got ${value}`);
    }
  }
  if (resolved.maxKeyBytes > MAX_KEY_BYTES) {
    throw new RangeError(`quota.maxKeyBytes may be at most ${MAX_KEY_BYTES}, got ${resolved.maxKeyBytes}`);
  }
  return Object.freeze(resolved);
}

function stripUndefined(quota: Quota): Quota {
  return Object.fromEntries(Object.entries(quota).filter(([, value]) => value !== undefined));
}

/**
 * Refuses a write that would take the namespace over its stored-bytes quota (one that frees space always
 * passes). Backends that compute the difference themselves call it before writing anything.
 * @throws QuotaExceededError
 */
export function checkQuota(namespace: string, stored: number, delta: number, limits: WriteLimits): void {
  if (delta > 0 && stored + delta > limits.maxStoredBytes) {
    throw new QuotaExceededError(namespace, stored, delta, limits.maxStoredBytes);
  }
}

/** The bytes a write leaves stored at its key: key + value, or 0 for a delete. */
export function sizeOf(operation: WriteOperation): number {
  return operation.value === undefined ? 0 : operation.key.length + operation.value.length;
}

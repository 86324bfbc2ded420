/**
 * MuDB's counters: signed 64-bit integers stored as ASCII decimal, as Redis INCR stores them, so a guest that
 * `get`s a counter reads a number. Every backend that runs `increment` itself adds through {@link addToCounter}.
 */
import { fromUtf8, utf8 } from './bytes.js';
import { CounterOverflowError, NotACounterError } from './errors.js';

/** The smallest value a counter holds. */
export const INT64_MIN = -(2n ** 63n);
/** The largest value a counter holds. */
export const INT64_MAX = 2n ** 63n - 1n;
const COUNTER_PATTERN = /^-?(0|[1-9][0-9]{0,18})$/;

/**
 * Reads a counter's stored form.
 * @returns the value, or undefined when the bytes are not a signed 64-bit decimal
 */
export function parseCounter(bytes: Uint8Array): bigint | undefined {
  if (bytes.length === 0 || bytes.length > 20) return undefined;
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
  if (!COUNTER_PATTERN.test(text) || text === '-0') return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/** The stored form of a counter. */
export function formatCounter(value: bigint): Uint8Array {
  return utf8(value.toString());
}

/**
 * The counter at `key` after adding `delta`; an absent counter counts as 0.
 *
 * @param current - the key's stored value, or undefined when the key is absent
 * @throws NotACounterError when `current` is not a signed 64-bit decimal; CounterOverflowError when the sum
 *   would leave the signed 64-bit range
 */
export function addToCounter(key: Uint8Array, current: Uint8Array | undefined, delta: bigint): bigint {
  const base = current === undefined ? 0n : parseCounter(current);
  if (base === undefined) throw new NotACounterError(readableKey(key));
  const value = base + delta;
  if (value < INT64_MIN || value > INT64_MAX) throw new CounterOverflowError(readableKey(key));
  return value;
}

/** A key for an error message: its text when it is UTF-8, else hex. */
function readableKey(key: Uint8Array): string {
  try {
    return fromUtf8(key);
  } catch {
    return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
  }
}

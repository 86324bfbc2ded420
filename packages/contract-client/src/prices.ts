import { PRICE_SCALE_DECIMALS, type Prices } from '@mu/contracts';
import { toUint } from './bytes.js';

/** Prices of an offer (copied into each job at creation): token base units × 10^-{@link PRICE_SCALE_DECIMALS}, uint64 each. */
export type { Prices };

/** Prices as callers write them: numbers or bigints. */
export type PricesInput = { [K in keyof Prices]: bigint | number };

/** Prices carry 9 decimals below the token's base unit (the contract's `PRICE_SCALE_DECIMALS`). */
export { PRICE_SCALE_DECIMALS };

/** @internal */
export function normalizePrices(input: PricesInput): Prices {
  if (typeof input !== 'object' || input === null) throw new TypeError('prices must be an object.');
  return {
    perRequest: toUint(input.perRequest, 64, 'prices.perRequest'),
    perCpuMs: toUint(input.perCpuMs, 64, 'prices.perCpuMs'),
    perMemoryMbMs: toUint(input.perMemoryMbMs, 64, 'prices.perMemoryMbMs'),
    perKvRead: toUint(input.perKvRead, 64, 'prices.perKvRead'),
    perKvWrite: toUint(input.perKvWrite, 64, 'prices.perKvWrite'),
    perEgressByte: toUint(input.perEgressByte, 64, 'prices.perEgressByte'),
  };
}

/**
 * What a report costs at these prices, exactly as the contract charges it (sum of counter × price,
 * divided by 10^9, rounded down).
 *
 * @example
 * ```ts
 * const amount = chargeFor(job.prices, signed.report); // token base units
 * ```
 */
export function chargeFor(
  prices: Prices,
  usage: {
    requests: bigint;
    cpuMs: bigint;
    memoryMbMs: bigint;
    kvReads: bigint;
    kvWrites: bigint;
    egressBytes: bigint;
  },
): bigint {
  return (
    (usage.requests * prices.perRequest +
      usage.cpuMs * prices.perCpuMs +
      usage.memoryMbMs * prices.perMemoryMbMs +
      usage.kvReads * prices.perKvRead +
      usage.kvWrites * prices.perKvWrite +
      usage.egressBytes * prices.perEgressByte) /
    10n ** BigInt(PRICE_SCALE_DECIMALS)
  );
}

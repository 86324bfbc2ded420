import { PRICE_SCALE_DECIMALS, type Prices } from '@mu/contracts';

/** Prices carry 9 decimals below the token's base unit (re-exported from @mu/contracts). */
export { PRICE_SCALE_DECIMALS, type Prices };

/** What an app uses over some period (a month, a day): the counters a usage report carries. */
export interface UsageProfile {
  requests: bigint | number;
  cpuMs: bigint | number;
  memoryMbMs: bigint | number;
  kvReads: bigint | number;
  kvWrites: bigint | number;
  egressBytes: bigint | number;
}

/** A usage profile with every counter a bigint. */
export type Usage = { [K in keyof UsageProfile]: bigint };

const USAGE_FIELDS = ['requests', 'cpuMs', 'memoryMbMs', 'kvReads', 'kvWrites', 'egressBytes'] as const;
const PRICE_FIELDS = ['perRequest', 'perCpuMs', 'perMemoryMbMs', 'perKvRead', 'perKvWrite', 'perEgressByte'] as const;
const SCALE = 10n ** BigInt(PRICE_SCALE_DECIMALS);

function counter(value: unknown, name: string): bigint {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be a whole number, got ${value}.`);
    value = BigInt(value);
  }
  if (typeof value !== 'bigint')
    throw new TypeError(`${name} must be a bigint or a whole number, got ${typeof value}.`);
  if (value < 0n) throw new RangeError(`${name} must not be negative, got ${value}.`);
  return value;
}

/**
 * Checks a usage profile and returns it with bigint counters.
 * @throws {TypeError} / {@link RangeError} for a missing, fractional or negative counter.
 */
export function normalizeUsage(usage: UsageProfile): Usage {
  if (typeof usage !== 'object' || usage === null) throw new TypeError('usage must be an object.');
  return Object.fromEntries(USAGE_FIELDS.map((field) => [field, counter(usage[field], `usage.${field}`)])) as Usage;
}

/**
 * What a usage profile costs at a price schedule, in token base units, exactly as the contract charges one
 * report: Σ counter × price ÷ 10^PRICE_SCALE_DECIMALS, rounded down.
 *
 * @param usage The counters (bigints or whole numbers).
 * @param prices A price schedule (an offer's, or the prices locked in a job).
 * @returns Token base units (6 decimals for the test stablecoin).
 * @throws {TypeError} / {@link RangeError} for a malformed usage profile or price.
 * @example
 * ```ts
 * const cost = estimateCost({ requests: 1_000_000, cpuMs: 5_000_000, memoryMbMs: 0, kvReads: 0, kvWrites: 0, egressBytes: 0 }, offer.prices);
 * ```
 */
export function estimateCost(usage: UsageProfile, prices: Prices): bigint {
  const counters = normalizeUsage(usage);
  if (typeof prices !== 'object' || prices === null) throw new TypeError('prices must be an object.');
  let total = 0n;
  USAGE_FIELDS.forEach((field, index) => {
    const priceField = PRICE_FIELDS[index]!;
    total += counters[field] * counter(prices[priceField], `prices.${priceField}`);
  });
  return total / SCALE;
}

/**
 * Sorts offers by what a usage profile would cost, cheapest first (ties: larger deposit first, then address).
 *
 * @returns New objects: each offer with its `cost` in token base units.
 * @example
 * ```ts
 * const [cheapest] = rankByCost(offers, { requests: 1e6, cpuMs: 2e6, memoryMbMs: 0, kvReads: 0, kvWrites: 0, egressBytes: 0 });
 * ```
 */
export function rankByCost<T extends { prices: Prices; deposit: bigint; provider: string }>(
  offers: readonly T[],
  usage: UsageProfile,
): (T & { cost: bigint })[] {
  if (!Array.isArray(offers)) throw new TypeError('offers must be an array.');
  const counters = normalizeUsage(usage);
  return offers
    .map((offer) => ({ ...offer, cost: estimateCost(counters, offer.prices) }))
    .sort((a, b) =>
      a.cost !== b.cost
        ? a.cost < b.cost
          ? -1
          : 1
        : a.deposit !== b.deposit
          ? a.deposit > b.deposit
            ? -1
            : 1
          : a.provider.toLowerCase() < b.provider.toLowerCase()
            ? -1
            : 1,
    );
}

/** Options of {@link waitUntil}. */
export interface WaitUntilOptions {
  /** Give up after this long (default 10 s): a budget for a loaded machine, not a claim about speed. */
  timeoutMs?: number;
  /** Time between two checks (default 20 ms). */
  intervalMs?: number;
}

/**
 * Checks `condition` until it holds and returns its truthy value; throws after `timeoutMs` naming `what` and the
 * last error the check threw, if any. Tests wait on what they can observe this way, never on a fixed sleep.
 *
 * @example
 * ```ts
 * const settled = await waitUntil(() => ledger.settledCount() >= 2 && ledger.settledCount(), 'two reports settled');
 * ```
 */
export async function waitUntil<T>(
  condition: () => T | Promise<T>,
  what: string,
  options: WaitUntilOptions = {},
): Promise<NonNullable<Exclude<T, false | 0 | ''>>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<Exclude<T, false | 0 | ''>>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

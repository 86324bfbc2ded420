/**
 * The brand every {@link MuError} carries on its prototype. `Symbol.for` makes it the same symbol in every copy
 * of this package loaded in a process (a test that aliases a main entry to source while a subpath resolves to
 * `dist` loads two), so {@link isMuError} holds where `instanceof` would not.
 */
const MU_ERROR = Symbol.for('@mu/errors.MuError');

/** Options every Mu error accepts. */
export interface MuErrorOptions {
  /** The error this one wraps (an ethers, level or jco error), kept as `cause`, never swallowed. */
  cause?: unknown;
  /** Extra facts (sizes, limits, ids) that help the caller fix the problem; printed under the message. */
  details?: string | undefined;
}

/**
 * The base of every error a Mu package throws on purpose, after viem's `BaseError`: a stable, machine-readable
 * `code` (public API, listed in each package's README), a `shortMessage` that says what to do, optional
 * `details`, and the wrapped `cause`. Each package subclasses it with its own code union
 * (`class MuDBError extends MuError<MuDBErrorCode>`).
 *
 * @example
 * ```ts
 * class ThingError extends MuError<'THING_MISSING'> {
 *   override name = 'ThingError';
 * }
 * const error = new ThingError('THING_MISSING', 'No thing here; create one first.', { details: 'id: 7' });
 * error.message; // 'No thing here; create one first.\n\nDetails: id: 7'
 * ```
 */
export class MuError<Code extends string = string> extends Error {
  override name = 'MuError';
  /** Stable, machine-readable code (`MUDB_*`, `RUNTIME_*`, …): public API. */
  readonly code: Code;
  /** The message without details. */
  readonly shortMessage: string;
  /** Extra facts that help fix the problem, or `undefined`. */
  readonly details: string | undefined;

  constructor(code: Code, shortMessage: string, options: MuErrorOptions = {}) {
    super(formatMessage(shortMessage, options.details), { cause: options.cause });
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = options.details;
  }

  /**
   * Walks this error and its `cause` chain.
   *
   * @param predicate - without one, returns the deepest cause (this error when it has none); with one, the first
   *   error of the chain (this one included) it accepts, or `null`.
   * @example
   * ```ts
   * const rpc = error.walk((cause) => (cause as { code?: unknown }).code === 'TIMEOUT');
   * ```
   */
  walk(predicate?: (error: unknown) => boolean): unknown {
    return walkCauses(this, predicate);
  }
}

Object.defineProperty(MuError.prototype, MU_ERROR, { value: true });

/**
 * Whether `value` is a {@link MuError} of any Mu package, from any loaded copy of this package.
 *
 * @example
 * ```ts
 * if (isMuError(error)) console.error(`${error.code}: ${error.shortMessage}`);
 * ```
 */
export function isMuError(value: unknown): value is MuError {
  return typeof value === 'object' && value !== null && (value as { [MU_ERROR]?: unknown })[MU_ERROR] === true;
}

/**
 * Walks `error` and its `cause` chain (bounded: a cycle of causes ends the walk).
 *
 * @param predicate - without one, returns the deepest cause; with one, the first error it accepts, or `null`.
 */
export function walkCauses(error: unknown, predicate?: (error: unknown) => boolean): unknown {
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (;;) {
    if (predicate?.(current)) return current;
    seen.add(current);
    const next = typeof current === 'object' && current !== null ? (current as { cause?: unknown }).cause : undefined;
    if (next === undefined || next === null || seen.has(next)) return predicate ? null : current;
    current = next;
  }
}

/** The one message format of Mu errors: the short message, then the details after a blank line. */
export function formatMessage(shortMessage: string, details: string | undefined): string {
  return details ? `${shortMessage}\n\nDetails: ${details}` : shortMessage;
}

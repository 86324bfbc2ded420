import { MuError, type MuErrorOptions } from '@mu/errors';

/**
 * Every error the gateway produces on purpose is a {@link GatewayError} with a stable `code` and the HTTP
 * `status` it is answered with. Codes are public API (listed in the README); messages may change.
 */
export type GatewayErrorCode =
  | 'GATEWAY_UNKNOWN_JOB'
  | 'GATEWAY_JOB_EXHAUSTED'
  | 'GATEWAY_JOB_CANCELLED'
  | 'GATEWAY_NO_NODE'
  | 'GATEWAY_RESOLVE_FAILED'
  | 'GATEWAY_UPSTREAM_TIMEOUT'
  | 'GATEWAY_UPSTREAM_FAILED'
  | 'GATEWAY_BODY_TOO_LARGE'
  | 'GATEWAY_BAD_FRAMING';

/** Options every gateway error accepts. */
export type GatewayErrorOptions = MuErrorOptions;

/**
 * The base of every gateway error. The gateway answers it as JSON:
 * `{ "error": { "code": "GATEWAY_…", "message": "…" } }` with {@link GatewayError.status}, and its code in the
 * `mu-error` header.
 *
 * @example
 * ```ts
 * const error = new NoNodeError('42', 1);
 * error.code; // 'GATEWAY_NO_NODE'
 * error.status; // 503
 * ```
 */
export class GatewayError extends MuError<GatewayErrorCode> {
  override name = 'GatewayError';
  /** The HTTP status the gateway answers with. */
  readonly status: number;

  constructor(code: GatewayErrorCode, status: number, shortMessage: string, options: GatewayErrorOptions = {}) {
    super(code, shortMessage, options);
    this.status = status;
  }

  /** Extra response headers (such as `Retry-After`). */
  headers(): Record<string, string> {
    return {};
  }
}

/** No job has this id (or the URL names no job). Answered 404. */
export class NoSuchJobError extends GatewayError {
  override name = 'NoSuchJobError';
  constructor(readonly jobId: string | undefined) {
    super(
      'GATEWAY_UNKNOWN_JOB',
      404,
      jobId === undefined
        ? 'The URL names no job: use /{jobId}/… or {jobId}.{domain}.'
        : `Job ${jobId} is unknown here: check the job id and the provider's gateway URL.`,
    );
  }
}

/** The job's escrow is used up. Answered 402. */
export class JobExhaustedError extends GatewayError {
  override name = 'JobExhaustedError';
  constructor(readonly jobId: string) {
    super('GATEWAY_JOB_EXHAUSTED', 402, `Job ${jobId} has no escrow left: top it up to resume service.`);
  }
}

/** The job was cancelled by its owner. Answered 410. */
export class JobCancelledError extends GatewayError {
  override name = 'JobCancelledError';
  constructor(readonly jobId: string) {
    super('GATEWAY_JOB_CANCELLED', 410, `Job ${jobId} was cancelled: deploy a new job to serve this app again.`);
  }
}

/** Every node that may serve the job is ejected or busy. Answered 503 with `Retry-After`. */
export class NoNodeError extends GatewayError {
  override name = 'NoNodeError';
  constructor(
    readonly jobId: string,
    readonly retryAfterSeconds: number,
  ) {
    super('GATEWAY_NO_NODE', 503, `No healthy node can serve job ${jobId} now: retry after ${retryAfterSeconds} s.`);
  }
  override headers(): Record<string, string> {
    return { 'retry-after': String(this.retryAfterSeconds) };
  }
}

/** The injected `resolveJob` threw or rejected. Answered 503 with `Retry-After`. */
export class ResolveFailedError extends GatewayError {
  override name = 'ResolveFailedError';
  constructor(
    readonly jobId: string,
    readonly retryAfterSeconds: number,
    options: GatewayErrorOptions = {},
  ) {
    super(
      'GATEWAY_RESOLVE_FAILED',
      503,
      `Could not look up job ${jobId}: retry after ${retryAfterSeconds} s (the cause says why the lookup failed).`,
      options,
    );
  }
  override headers(): Record<string, string> {
    return { 'retry-after': String(this.retryAfterSeconds) };
  }
}

/** The node did not answer within the timeout. Answered 504; the node is marked as failing. */
export class UpstreamTimeoutError extends GatewayError {
  override name = 'UpstreamTimeoutError';
  constructor(
    readonly nodeId: string,
    readonly timeoutMs: number,
    options: GatewayErrorOptions = {},
  ) {
    super(
      'GATEWAY_UPSTREAM_TIMEOUT',
      504,
      `The node did not answer within ${timeoutMs} ms: retry, or raise the gateway's timeoutMs if the app is slow.`,
      options,
    );
  }
}

/** Why an {@link UpstreamFailedError} was not retried or failed anyway. */
export type UpstreamFailure = 'not-idempotent' | 'no-other-node' | 'retry-failed' | 'bad-response' | 'internal';

const UPSTREAM_MESSAGES: Record<UpstreamFailure, string> = {
  'not-idempotent':
    'The node failed after the request was sent and the request is not idempotent: send an Idempotency-Key to allow a retry.',
  'no-other-node': 'The node failed and no other node can serve the job now: retry later.',
  'retry-failed': 'Two nodes failed to answer: retry later.',
  'bad-response': "The node's response cannot be forwarded (malformed headers): fix the app's response.",
  internal: 'The gateway could not forward the request: retry, and report it if it persists.',
};

/** The node failed (connection refused or reset, handler threw) and no retry was allowed, or it failed too. 502. */
export class UpstreamFailedError extends GatewayError {
  override name = 'UpstreamFailedError';
  constructor(
    readonly nodeId: string | undefined,
    readonly reason: UpstreamFailure,
    options: GatewayErrorOptions = {},
  ) {
    super('GATEWAY_UPSTREAM_FAILED', 502, UPSTREAM_MESSAGES[reason], options);
  }
}

/** The request body is larger than the job allows. Answered 413. */
export class BodyTooLargeError extends GatewayError {
  override name = 'BodyTooLargeError';
  constructor(
    readonly jobId: string,
    readonly limit: number,
  ) {
    super('GATEWAY_BODY_TOO_LARGE', 413, `The request body exceeds job ${jobId}'s limit of ${limit} bytes: send less.`);
  }
}

/** Content-Length and Transfer-Encoding conflict, or are malformed (request smuggling guard). Answered 400. */
export class BadFramingError extends GatewayError {
  override name = 'BadFramingError';
  constructor(details: string) {
    super(
      'GATEWAY_BAD_FRAMING',
      400,
      'The request has conflicting or malformed Content-Length / Transfer-Encoding headers: send exactly one.',
      { details },
    );
  }
}

import { describe, expect, it } from 'vitest';
import {
  BadFramingError,
  BodyTooLargeError,
  GatewayError,
  JobCancelledError,
  JobExhaustedError,
  NoNodeError,
  NoSuchJobError,
  ResolveFailedError,
  UpstreamFailedError,
  UpstreamTimeoutError,
} from '../src/index.js';

describe('error classes', () => {
  it('pin code, status, extra headers and message of every error', () => {
    const cause = new Error('ECONNRESET');
    const errors = [
      new NoSuchJobError('7'),
      new NoSuchJobError(undefined),
      new JobExhaustedError('7'),
      new JobCancelledError('7'),
      new NoNodeError('7', 3),
      new ResolveFailedError('7', 1, { cause }),
      new UpstreamTimeoutError('n1', 30_000),
      new UpstreamFailedError('n1', 'not-idempotent', { cause }),
      new UpstreamFailedError('n1', 'no-other-node', { cause }),
      new UpstreamFailedError('n1', 'retry-failed', { cause }),
      new UpstreamFailedError('n1', 'bad-response'),
      new UpstreamFailedError(undefined, 'internal'),
      new BodyTooLargeError('7', 1024),
      new BadFramingError('Content-Length and Transfer-Encoding are both present.'),
    ];
    for (const error of errors) expect(error).toBeInstanceOf(GatewayError);
    expect(errors.map((error) => [error.code, error.status, error.headers(), error.message])).toMatchSnapshot();
    expect(errors[5]!.cause).toBe(cause);
  });
});

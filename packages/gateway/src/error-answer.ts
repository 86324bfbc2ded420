import { errorBodyJson, errorHeaders } from '@mu/errors';
import { GatewayError, UpstreamFailedError } from './errors.js';

/** An error as the gateway answers it, whatever the front end: status, JSON body and headers. */
export interface ErrorAnswer {
  status: number;
  /** `{ "error": { "code", "message" } }` as text. */
  body: string;
  /** `content-type`, `mu-error` and the error's own extra headers (such as `retry-after`). */
  headers: Record<string, string>;
}

/**
 * The one mapping from a failure to the gateway's answer. A {@link GatewayError} is answered as itself; anything
 * else (a bug, an unexpected throw) as a 502 `GATEWAY_UPSTREAM_FAILED` with the reason `internal`, so no stranger
 * ever sees an internal message.
 */
export function errorAnswer(error: unknown): ErrorAnswer {
  const known =
    error instanceof GatewayError ? error : new UpstreamFailedError(undefined, 'internal', { cause: error });
  return {
    status: known.status,
    body: errorBodyJson(known.code, known.shortMessage),
    headers: errorHeaders(known.code, undefined, known.headers()),
  };
}

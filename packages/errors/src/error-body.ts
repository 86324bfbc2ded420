/** The response header that holds the code of a Mu error answer, so a caller can branch without parsing JSON. */
export const MU_ERROR_HEADER = 'mu-error';

/** The response header that holds the id Mu gave a request (and repeats in its error body). */
export const MU_REQUEST_ID_HEADER = 'mu-request-id';

/** The JSON body of every error answer a Mu component makes: `{ "error": { "code", "message", "id"? } }`. */
export interface ErrorBody {
  error: {
    /** A stable Mu error code (`GATEWAY_NO_NODE`, `RUNTIME_TIMEOUT`, …). */
    code: string;
    /** What happened and what to do; may change between versions. */
    message: string;
    /** The request's id, when one was given. */
    id?: string;
  };
}

/**
 * The JSON text of an error answer.
 *
 * @example
 * ```ts
 * errorBodyJson('GATEWAY_NO_NODE', 'No node can serve job 7 now; retry shortly.');
 * // '{"error":{"code":"GATEWAY_NO_NODE","message":"No node can serve job 7 now; retry shortly."}}'
 * ```
 */
export function errorBodyJson(code: string, message: string, requestId?: string): string {
  const body: ErrorBody = { error: requestId === undefined ? { code, message } : { code, message, id: requestId } };
  return JSON.stringify(body);
}

/** Options of {@link errorResponse}. */
export interface ErrorResponseOptions {
  /** The HTTP status. */
  status: number;
  /** The request's id: set as `mu-request-id` and repeated in the body. */
  requestId?: string | undefined;
  /** More headers (such as `retry-after`). */
  headers?: Record<string, string> | undefined;
}

/**
 * A web `Response` for an error: the JSON {@link ErrorBody}, `content-type: application/json`, and the code in the
 * `mu-error` header.
 *
 * @example
 * ```ts
 * const response = errorResponse('RUNTIME_JOB_NOT_FOUND', 'No such job on this node.', { status: 404 });
 * response.headers.get('mu-error'); // 'RUNTIME_JOB_NOT_FOUND'
 * ```
 */
export function errorResponse(code: string, message: string, options: ErrorResponseOptions): Response {
  return new Response(errorBodyJson(code, message, options.requestId), {
    status: options.status,
    headers: errorHeaders(code, options.requestId, options.headers),
  });
}

/** The headers of an error answer (for `node:http` writers that do not build a `Response`). */
export function errorHeaders(
  code: string,
  requestId?: string | undefined,
  extra?: Record<string, string> | undefined,
): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', [MU_ERROR_HEADER]: code };
  if (requestId !== undefined) headers[MU_REQUEST_ID_HEADER] = requestId;
  return extra ? { ...headers, ...extra } : headers;
}

/**
 * The Mu error code an answer carries in its `mu-error` header, or `undefined` for an answer that is not a Mu
 * error (an app's own 404, say).
 *
 * @example
 * ```ts
 * if (errorCodeOf(await fetch(url)) === 'GATEWAY_UNKNOWN_JOB') { ... }
 * ```
 */
export function errorCodeOf(response: { headers: { get(name: string): string | null } }): string | undefined {
  return response.headers.get(MU_ERROR_HEADER) ?? undefined;
}

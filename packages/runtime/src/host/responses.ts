/** The HTTP side of a request: its body read under the limit, the runtime's error answers, the guest's headers. */
import { errorResponse } from '@mu/errors';
import { concatBytes } from '../concat-bytes.js';
import { GUEST_ERROR_STATUS, type GuestErrorCode } from '../errors.js';

/** Statuses whose response has no body (the Fetch standard's null body statuses). */
export const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** The JSON error answer of a guest failure, with its status, `mu-error` and `mu-request-id`. */
export function guestErrorResponse(code: GuestErrorCode, message: string, requestId: string): Response {
  return errorResponse(code, message, { status: GUEST_ERROR_STATUS[code], requestId });
}

/** The guest's headers with `mu-request-id` set to ours (a guest's own value is dropped). */
export function withRequestId(headers: [string, string][], requestId: string): [string, string][] {
  const out: [string, string][] = [];
  for (const header of headers) {
    if (header[0].length !== 13 || header[0].toLowerCase() !== 'mu-request-id') out.push(header);
  }
  out.push(['mu-request-id', requestId]);
  return out;
}

/** The request body, or undefined when it is (or says it is) larger than `limit` bytes. */
export async function readBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) return undefined;
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  return concatBytes(chunks, total);
}

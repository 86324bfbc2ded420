import { concatBytes } from '../concat-bytes.js';
import type { HostReply, OutboundRequest, OutboundResponse } from '../threads/messages.js';

const HOP_BY_HOP = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'host', 'upgrade']);

/** Whether `url` may be fetched: its `host:port`, or its host name alone, is in `allowedHosts`. */
export function isAllowedHost(url: URL, allowedHosts: readonly string[]): boolean {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return allowedHosts.includes(url.host) || allowedHosts.includes(url.hostname);
}

/**
 * Runs one outbound request of a proxy-world guest, if the job spec allows the host: buffered, no redirects
 * followed (the guest sees the 3xx), bounded in time and size. Never throws: a refusal or failure becomes an
 * error reply that the guest sees as a wasi:http `error-code`.
 */
export async function runOutboundFetch(
  request: OutboundRequest,
  allowedHosts: readonly string[],
  timeoutMs: number,
  maxBytes: number,
): Promise<HostReply> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return { ok: false, message: 'HTTP-request-URI-invalid' };
  }
  if (!isAllowedHost(url, allowedHosts)) return { ok: false, message: 'HTTP-request-denied' };
  try {
    const response = await fetch(url, {
      method: request.method,
      // fetch sets the framing headers itself from the buffered body
      headers: request.headers.filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())),
      ...(request.body.byteLength > 0 ? { body: request.body as Uint8Array<ArrayBuffer> } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs))),
    });
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body !== null) {
      // A reader rather than `for await`: TypeScript's DOM typing of ReadableStream has no async iterator.
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) {
          await reader.cancel();
          return { ok: false, message: 'HTTP-response-body-size' };
        }
        chunks.push(value);
      }
    }
    const body = concatBytes(chunks, size);
    const headers: [string, string][] = [];
    response.headers.forEach((value, name) => {
      headers.push([name, value]);
    });
    const value: OutboundResponse = { status: response.status, headers, body };
    return { ok: true, value };
  } catch (error) {
    const name = (error as Error).name;
    return { ok: false, message: name === 'TimeoutError' ? 'connection-timeout' : 'connection-refused' };
  }
}

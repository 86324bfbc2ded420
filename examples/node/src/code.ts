import { createHash } from 'node:crypto';
import type { JobSpec } from '@mu/contract-client';
import { CodeFetchError, CodeMismatchError } from './errors.js';

/** Options of {@link fetchCode}. */
export interface FetchCodeOptions {
  /** Deadline of the whole download (default 60 s). */
  timeoutMs?: number;
}

/**
 * Fetches a job's component from the spec's URL and checks it: never more than `code.size` bytes are read,
 * and the bytes must have exactly that size and sha256. `http:` and `https:` only (no IPFS gateway here).
 *
 * @throws {CodeFetchError} `NODE_CODE_FETCH_FAILED` when the URL cannot be read (network, status, scheme).
 * @throws {CodeMismatchError} `NODE_CODE_MISMATCH` when the size or the sha256 differ.
 * @example
 * ```ts
 * const bytes = await fetchCode(spec.code);
 * ```
 */
export async function fetchCode(code: JobSpec['code'], options: FetchCodeOptions = {}): Promise<Uint8Array> {
  const url = code.url;
  if (!/^https?:\/\//.test(url)) throw new CodeFetchError(url, 'only http: and https: URLs are fetched by this node');
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 60_000), redirect: 'follow' });
  } catch (error) {
    throw new CodeFetchError(url, 'the request failed', { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new CodeFetchError(url, `the server answered ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > code.size) {
    await response.body?.cancel();
    throw new CodeMismatchError(url, `${declared} bytes announced, the spec says ${code.size}`);
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  const hash = createHash('sha256');
  if (response.body !== null) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      received += chunk.length;
      // stop reading at once: a hostile server cannot make the node buffer more than the spec allows
      if (received > code.size) {
        throw new CodeMismatchError(url, `more than the ${code.size} bytes the spec says`);
      }
      hash.update(chunk);
      chunks.push(chunk);
    }
  }
  if (received !== code.size) throw new CodeMismatchError(url, `${received} bytes, the spec says ${code.size}`);
  const sha256 = hash.digest('hex');
  if (sha256 !== code.sha256) throw new CodeMismatchError(url, `sha256 ${sha256}, the spec says ${code.sha256}`);
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

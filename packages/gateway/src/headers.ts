import { BadFramingError } from './errors.js';

/** RFC 9110 §7.6.1 connection-specific fields, plus the legacy ones proxies also drop. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Header values keyed by lower-case name, as node:http and undici give them. */
export type HeaderRecord = Record<string, string | string[] | undefined>;

/** The header the gateway tells the node the job id in (the path no longer carries it). */
export const JOB_ID_HEADER = 'mu-job-id';

/** Names listed in `Connection` (they are hop-by-hop too). */
function connectionTokens(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined;
  const text = Array.isArray(connection) ? connection.join(',') : connection;
  // The common case, without splitting.
  if (text.length <= 10 && /^(?:keep-alive|close)$/i.test(text)) return undefined;
  const tokens = new Set<string>();
  for (const token of text.split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '' && name !== 'close' && name !== 'keep-alive') tokens.add(name);
  }
  return tokens.size === 0 ? undefined : tokens;
}

/**
 * Rejects requests whose framing two parsers could read differently (request smuggling):
 * Content-Length with Transfer-Encoding, several different Content-Length values, a malformed
 * Content-Length, or a Transfer-Encoding that does not end in `chunked`.
 *
 * @returns the declared body length, or `undefined` when none is declared
 * @throws {BadFramingError}
 */
export function checkFraming(
  contentLength: string | string[] | undefined,
  transferEncoding: string | string[] | undefined,
): number | undefined {
  if (transferEncoding !== undefined) {
    if (contentLength !== undefined)
      throw new BadFramingError('Content-Length and Transfer-Encoding are both present.');
    const codings = (Array.isArray(transferEncoding) ? transferEncoding.join(',') : transferEncoding).split(',');
    if (codings[codings.length - 1]!.trim().toLowerCase() !== 'chunked') {
      throw new BadFramingError(`Transfer-Encoding "${transferEncoding}" does not end in chunked.`);
    }
    return undefined;
  }
  if (contentLength === undefined) return undefined;
  const values = (Array.isArray(contentLength) ? contentLength.join(',') : contentLength).split(',');
  const first = values[0]!.trim();
  if (!/^\d{1,15}$/.test(first) || values.some((value) => value.trim() !== first)) {
    throw new BadFramingError(`Content-Length "${contentLength}" is not one decimal number.`);
  }
  return Number(first);
}

/** Facts about the client side that go into X-Forwarded-*. */
export interface ForwardedFacts {
  jobId: string;
  clientAddress: string | undefined;
  protocol: string;
  host: string | undefined;
  /** `/{jobId}` for path-based endpoints. */
  prefix: string | undefined;
}

/**
 * The headers sent to the node: hop-by-hop fields, Host and Content-Length dropped (the HTTP client sets
 * them), X-Forwarded-For appended, X-Forwarded-Host/-Proto/-Prefix and the job id header set.
 */
export function forwardHeaders(incoming: HeaderRecord, facts: ForwardedFacts) {
  const headers: Record<string, string> = {};
  let connection: string | string[] | undefined;
  let forwardedFor: string | undefined;
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined) continue;
    if (name === 'connection') connection = value;
    if (HOP_BY_HOP.has(name) || name === 'host' || name === 'content-length' || name === JOB_ID_HEADER) continue;
    if (name === 'x-forwarded-for') {
      forwardedFor = Array.isArray(value) ? value.join(', ') : value;
      continue;
    }
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const listed = connectionTokens(connection);
  if (listed !== undefined) for (const name of listed) delete headers[name];
  const client = facts.clientAddress;
  if (client !== undefined) headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${client}` : client;
  else if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor;
  headers['x-forwarded-proto'] = facts.protocol;
  if (facts.host !== undefined) headers['x-forwarded-host'] = facts.host;
  if (facts.prefix !== undefined) headers['x-forwarded-prefix'] = facts.prefix;
  headers[JOB_ID_HEADER] = facts.jobId;
  return headers;
}

/** Removes hop-by-hop fields (and those named in `Connection`) from a node's response headers, in place. */
export function stripResponseHeaders(headers: HeaderRecord): HeaderRecord {
  const listed = connectionTokens(headers.connection);
  for (const name of HOP_BY_HOP) if (headers[name] !== undefined) delete headers[name];
  if (listed !== undefined) for (const name of listed) delete headers[name];
  return headers;
}

/**
 * A node's response headers as the flat `[name, value, …]` list `res.writeHead` takes, hop-by-hop fields
 * (and those named in `Connection`) left out. Copying beats `delete`, which turns the object into a slow
 * dictionary that node:http then iterates.
 */
export function responseHeaderList(headers: HeaderRecord): string[] {
  const listed = connectionTokens(headers.connection);
  const list: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    if (typeof value === 'string') list.push(name, value);
    else for (const item of value) list.push(name, item);
  }
  return list;
}

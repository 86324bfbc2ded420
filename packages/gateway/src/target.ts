/** Job ids the gateway routes: 1-128 characters of `[A-Za-z0-9_-]` (anything else is answered 404). */
const JOB_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Which job a request is for, and the path its node sees. */
export interface Target {
  jobId: string;
  /** Path and query, the `/{jobId}` prefix removed. */
  path: string;
  /** `/{jobId}` for path-based endpoints (sent as X-Forwarded-Prefix), `undefined` for host-based ones. */
  prefix: string | undefined;
}

/** Reads the {@link Target} of a request from its Host header and its path-and-query. */
export type ParseTarget = (host: string | undefined, url: string) => Target | undefined;

/**
 * The target parser of a gateway: splits `/{jobId}/rest?query`, or `{jobId}.{domain}` when a `domain` is given,
 * into the job and the path the node sees. Path-based endpoints always work.
 */
export function createTargetParser(domain: string | undefined): ParseTarget {
  const hostSuffix = domain === undefined ? undefined : `.${domain.toLowerCase()}`;
  return (host, url) => {
    if (hostSuffix !== undefined && host !== undefined) {
      const colon = host.lastIndexOf(':');
      const name = (colon > host.lastIndexOf(']') ? host.slice(0, colon) : host).toLowerCase();
      if (name.endsWith(hostSuffix)) {
        const jobId = name.slice(0, -hostSuffix.length);
        if (JOB_ID.test(jobId)) return { jobId, path: url, prefix: undefined };
      }
    }
    if (url.charCodeAt(0) !== 47 /* / */) return undefined;
    let end = 1;
    while (end < url.length) {
      const code = url.charCodeAt(end);
      if (code === 47 || code === 63 /* ? */) break;
      end++;
    }
    const jobId = url.slice(1, end);
    if (!JOB_ID.test(jobId)) return undefined;
    const rest = url.slice(end);
    return { jobId, path: rest === '' || rest.charCodeAt(0) === 63 ? `/${rest}` : rest, prefix: `/${jobId}` };
  };
}

import { errorResponse } from '@mu/errors';
import { MuRuntimeError } from './errors.js';
import type { Runtime } from './host/runtime.js';

/** Options of {@link createRuntimeHandler}. */
export interface RuntimeHandlerOptions {
  /**
   * Finds the job of a request and the request the app should see. Default: the first path segment is the job
   * id (`/{jobId}/rest?query` → job `jobId`, app sees `/rest?query`), as Mu endpoints are `{gatewayURL}/{jobId}/…`.
   */
  route?: (request: Request) => { jobId: string; request: Request } | undefined;
}

function routeByFirstSegment(request: Request): { jobId: string; request: Request } | undefined {
  const url = new URL(request.url);
  const match = /^\/([^/]+)(\/.*)?$/.exec(url.pathname);
  if (match === null) return undefined;
  let jobId: string;
  try {
    jobId = decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
  url.pathname = match[2] ?? '/';
  return { jobId, request: new Request(url, request) };
}

/**
 * Wraps a runtime as one web-standard handler, `(request) => Promise<Response>`: what `@mu/gateway` calls a node,
 * and what any server that speaks Request/Response can mount. Unknown jobs answer 404, a closed runtime 503.
 *
 * @example
 * ```ts
 * const handle = createRuntimeHandler(runtime);
 * const response = await handle(new Request('http://node.local/job-1/hello')); // job-1 sees /hello
 * ```
 */
export function createRuntimeHandler(
  runtime: Runtime,
  options: RuntimeHandlerOptions = {},
): (request: Request) => Promise<Response> {
  const route = options.route ?? routeByFirstSegment;
  return async (request) => {
    const routed = route(request);
    if (routed === undefined || !runtime.has(routed.jobId)) {
      return errorResponse('RUNTIME_JOB_NOT_FOUND', 'no such job on this node', { status: 404 });
    }
    try {
      return await runtime.fetch(routed.jobId, routed.request);
    } catch (error) {
      if (error instanceof MuRuntimeError) {
        const status = error.code === 'RUNTIME_JOB_NOT_FOUND' ? 404 : 503;
        return errorResponse(error.code, error.shortMessage, { status });
      }
      throw error;
    }
  };
}

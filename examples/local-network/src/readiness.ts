import { errorCodeOf } from '@mu/errors';
import type { NetworkJob } from './app-jobs.js';
import { waitFor } from './wait-for.js';

/** The gateway's answers that mean "not ready yet": it does not know the job, or has no node for it. */
const NOT_READY = new Set(['GATEWAY_UNKNOWN_JOB', 'GATEWAY_NO_NODE']);

/**
 * Waits until every node has registered every job, and the gateway knows each job and has a node for it (none
 * ejected after a health check that a node busy registering the jobs answered late): the network is then ready.
 *
 * @throws when it is not within `timeoutMs`, or at once when `signal` aborts.
 */
export async function waitUntilReady(
  nodes: readonly { nodeUrl: string }[],
  jobs: readonly NetworkJob[],
  options: { signal?: AbortSignal | undefined; timeoutMs?: number } = {},
): Promise<void> {
  await waitFor(async () => {
    options.signal?.throwIfAborted();
    for (const node of nodes) {
      const status = (await fetch(`${node.nodeUrl}/_mu/status`).then((response) => response.json())) as {
        jobs: { jobId: string; registered: boolean }[];
      };
      const registered = new Set(status.jobs.filter((job) => job.registered).map((job) => job.jobId));
      if (!jobs.every((job) => registered.has(String(job.jobId)))) return false;
    }
    for (const job of jobs) {
      const response = await fetch(`${job.endpoint}/`, { method: 'OPTIONS' });
      await response.text();
      if (NOT_READY.has(errorCodeOf(response) ?? '')) return false;
    }
    return true;
  }, options.timeoutMs ?? 60_000);
}

import type { MuDB } from '@mu/mudb';

/**
 * What one job used since the last `takeUsage()`: the figures a usage report (and a provider's bill) needs.
 *
 * CPU is the guest worker thread's busy time inside the guest call (wall clock on that thread, minus time
 * blocked on MuDB), plus the whole deadline for a request that timed out. Each worker runs one guest at a
 * time, so busy time is the CPU the guest held. Node 20 has no per-thread CPU clock
 * (`process.threadCpuUsage` came later) and `process.cpuUsage()` is process-wide; deterministic tick
 * counting (binaryen instrumentation) costs +25% to +115% per request.
 */
export interface JobUsage {
  /** Requests received (including rejected and failed ones). */
  requests: number;
  /** Requests that answered a RUNTIME_* error (including timeouts). */
  errors: number;
  /** Requests stopped at their deadline. */
  timeouts: number;
  /** Instances created (cold starts on a worker). */
  coldStarts: number;
  /** Sum of request wall time, arrival to answer, ms. */
  wallMs: number;
  /** Guest CPU time, ms (see above). */
  cpuMs: number;
  /** Largest linear memory an instance of the job held, bytes. */
  memoryHighWaterBytes: number;
  /** Sum over requests of the instance's memory (MiB) × the request's wall time (ms). */
  memoryMbMs: number;
  /** Request body bytes received. */
  bytesIn: number;
  /** Response body bytes sent (egress). */
  bytesOut: number;
  /** Keys read in MuDB (from the job's namespace meter). */
  kvReads: number;
  /** Keys written in MuDB. */
  kvWrites: number;
  /** Value bytes read from MuDB. */
  kvBytesRead: number;
  /** Key + value bytes written to MuDB. */
  kvBytesWritten: number;
  /** Bytes the job's namespace holds (a gauge). */
  kvStoredBytes: number;
}

/** A zeroed usage record. */
export function emptyJobUsage(): JobUsage {
  return {
    requests: 0,
    errors: 0,
    timeouts: 0,
    coldStarts: 0,
    wallMs: 0,
    cpuMs: 0,
    memoryHighWaterBytes: 0,
    memoryMbMs: 0,
    bytesIn: 0,
    bytesOut: 0,
    kvReads: 0,
    kvWrites: 0,
    kvBytesRead: 0,
    kvBytesWritten: 0,
    kvStoredBytes: 0,
  };
}

/** The usage of every job since the last {@link UsageMeter.take}, counted as requests run. */
export class UsageMeter {
  readonly #usage = new Map<string, JobUsage>();

  /** The usage record of a job (created on its first request since the last take). */
  of(jobId: string): JobUsage {
    let usage = this.#usage.get(jobId);
    if (usage === undefined) {
      usage = emptyJobUsage();
      this.#usage.set(jobId, usage);
    }
    return usage;
  }

  /** Usage per job since the last call, with the KV figures of each job's MuDB namespace; resets the counters. */
  take(db: MuDB): Map<string, JobUsage> {
    const taken = new Map<string, JobUsage>();
    for (const [jobId, usage] of this.#usage) {
      const kv = db.namespace(jobId).takeUsage();
      taken.set(jobId, {
        ...usage,
        kvReads: kv.reads,
        kvWrites: kv.writes,
        kvBytesRead: kv.bytesRead,
        kvBytesWritten: kv.bytesWritten,
        kvStoredBytes: kv.storedBytes,
      });
    }
    this.#usage.clear();
    return taken;
  }
}

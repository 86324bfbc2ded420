/** Per-job traffic counters. */
export interface JobTraffic {
  /** Requests forwarded to a node (retries not counted twice). */
  requests: number;
  /** Request body bytes forwarded. */
  bytesIn: number;
  /** Response body bytes sent to clients. */
  bytesOut: number;
}

/** The traffic counters of one gateway, per job, for one usage-report period at a time. */
export class TrafficMeter {
  #counters = new Map<string, JobTraffic>();

  /** The live counters of a job (created at zero); the router and the adapters add to them. */
  of(jobId: string): JobTraffic {
    let traffic = this.#counters.get(jobId);
    if (traffic === undefined) {
      traffic = { requests: 0, bytesIn: 0, bytesOut: 0 };
      this.#counters.set(jobId, traffic);
    }
    return traffic;
  }

  /** A copy of every job's counters. */
  snapshot(): Map<string, JobTraffic> {
    return new Map([...this.#counters].map(([jobId, traffic]) => [jobId, { ...traffic }]));
  }

  /** Returns the counters and starts a new period. */
  take(): Map<string, JobTraffic> {
    const taken = this.#counters;
    this.#counters = new Map();
    return taken;
  }
}

/** What a strategy sees of a node: its id, the requests in flight on it, whether it may take requests. */
export interface NodeLoad {
  readonly id: string;
  /** Requests sent to the node and not finished yet (as counted by this gateway). */
  readonly inFlight: number;
  /** False while the node is ejected by health checks. */
  readonly available: boolean;
}

/** What a strategy guarantees; the conformance suite checks each claim that is true. */
export interface StrategySupports {
  /**
   * The choice is a pure function of (job, node set, loads): two instances (two gateway replicas) given the
   * same inputs choose the same node, and when a node leaves only the jobs it served move.
   */
  readonly affinity: boolean;
  /** After each choice the chosen node's load is at most `(1 + epsilon) ×` the average load (once average ≥ 1/ε). */
  readonly boundedLoad: boolean;
}

/**
 * A load-balancing strategy: chooses the node for one request of a job.
 *
 * The same `nodes` array (by reference) is passed for the same node set, so a strategy may cache per array
 * (a hash ring, for example). A strategy must never return an unavailable node nor `avoid`.
 *
 * @example
 * ```ts
 * const strategy = createBoundedLoadStrategy({ epsilon: 0.25 });
 * const node = strategy.choose('42', [{ id: 'a', inFlight: 0, available: true }]);
 * node?.id; // 'a'
 * ```
 */
export interface BalancingStrategy {
  readonly name: string;
  readonly supports: StrategySupports;
  /**
   * @param jobId the job the request is for
   * @param nodes the job's candidate nodes, available or not
   * @param avoid the id of a node not to choose (the one that just failed, when retrying)
   * @returns the chosen node, or `undefined` when no available node may take the request
   */
  choose(jobId: string, nodes: readonly NodeLoad[], avoid?: string): NodeLoad | undefined;
}

/** Whether `node` may be chosen. */
export function usable(node: NodeLoad, avoid: string | undefined): boolean {
  return node.available && node.id !== avoid;
}

import { NodeRecord, type NodeStatus, type ResolvedHealth } from './health.js';
import { createUpstream, type NodeSpec } from './node.js';

/**
 * The nodes of one gateway: their records (load and health), the periodic active checks, and the candidate
 * lists the strategy chooses from.
 */
export class NodeRegistry {
  readonly #health: ResolvedHealth;
  readonly #records = new Map<string, NodeRecord>();
  #all: NodeRecord[] = [];
  // Candidate arrays are memoized so a strategy sees the same array for the same node set (its ring cache).
  #byArray = new WeakMap<readonly string[], NodeRecord[]>();
  #byKey = new Map<string, NodeRecord[]>();
  #checkTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(health: ResolvedHealth) {
    this.#health = health;
  }

  /** @throws {TypeError} on a malformed spec, a duplicate id, or a closed registry */
  add(spec: NodeSpec): void {
    if (this.#closed) throw new TypeError('The gateway is closed.');
    if (typeof spec?.id !== 'string' || spec.id === '') throw new TypeError('A node needs a non-empty string id.');
    if (this.#records.has(spec.id)) throw new TypeError(`Node ${spec.id} is already registered.`);
    this.#records.set(spec.id, new NodeRecord(spec.id, createUpstream(spec), this.#health));
    this.#rebuild();
  }

  /** Removes a node and closes its connections once idle. @returns whether it existed */
  async remove(id: string): Promise<boolean> {
    const node = this.#records.get(id);
    if (node === undefined) return false;
    this.#records.delete(id);
    this.#rebuild();
    await node.close();
    return true;
  }

  /** Starts the periodic active checks (when `health.intervalMs` is above 0). */
  startHealthChecks(): void {
    const { intervalMs } = this.#health;
    if (intervalMs <= 0 || this.#checkTimer !== undefined) return;
    this.#checkTimer = setInterval(() => {
      for (const node of this.#all) void node.activeCheck();
    }, intervalMs);
    this.#checkTimer.unref();
  }

  /** The nodes a job may be served by: those of `ids` that are registered, or every node. */
  candidates(ids: readonly string[] | undefined): NodeRecord[] {
    if (ids === undefined) return this.#all;
    let nodes = this.#byArray.get(ids);
    if (nodes !== undefined) return nodes;
    const key = ids.join('\u0000');
    nodes = this.#byKey.get(key);
    if (nodes === undefined) {
      nodes = [];
      for (const id of ids) {
        const node = this.#records.get(id);
        if (node !== undefined) nodes.push(node);
      }
      if (this.#byKey.size >= 4096) this.#byKey.clear();
      this.#byKey.set(key, nodes);
    }
    this.#byArray.set(ids, nodes);
    return nodes;
  }

  /** Load and health of every node. */
  statuses(): NodeStatus[] {
    return this.#all.map((node) => node.status());
  }

  /** Stops the active checks and closes every node's connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#checkTimer);
    await Promise.all(this.#all.map((node) => node.close()));
  }

  #rebuild(): void {
    this.#all = [...this.#records.values()];
    this.#byArray = new WeakMap();
    this.#byKey = new Map();
  }
}

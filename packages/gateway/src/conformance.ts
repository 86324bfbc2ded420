import { describe, expect, it } from 'vitest';
import { createRandom } from './random.js';
import type { BalancingStrategy, NodeLoad } from './strategy.js';

interface MutableNode {
  id: string;
  inFlight: number;
  available: boolean;
}

function makeNodes(count: number, prefix = 'node'): MutableNode[] {
  return Array.from({ length: count }, (_, index) => ({ id: `${prefix}-${index}`, inFlight: 0, available: true }));
}

/** Runs `requests` requests over `jobs` jobs, each staying in flight for `hold` further choices. */
function simulate(strategy: BalancingStrategy, nodes: MutableNode[], jobs: number, requests: number, hold: number) {
  const random = createRandom(7);
  const inFlight: MutableNode[] = [];
  let worstRatio = 0;
  for (let request = 0; request < requests; request++) {
    const node = strategy.choose(`job-${Math.floor(random() * random() * jobs)}`, nodes) as MutableNode;
    node.inFlight++;
    inFlight.push(node);
    let total = 0;
    let max = 0;
    for (const each of nodes) {
      total += each.inFlight;
      max = Math.max(max, each.inFlight);
    }
    const average = total / nodes.length;
    if (average >= 20) worstRatio = Math.max(worstRatio, max / Math.ceil(average));
    if (inFlight.length > hold) inFlight.shift()!.inFlight--;
  }
  return { worstRatio };
}

/**
 * The shared conformance suite every {@link BalancingStrategy} runs with one call (as abstract-level's
 * shared tests do for stores). Claims in `strategy.supports` are checked when true.
 *
 * @param factory makes a fresh strategy (called once per test)
 * @param options.epsilon the bounded-load slack the factory uses, for the bounded-load check. Default 0.25.
 * @example
 * ```ts
 * import { testStrategy } from '@mu/gateway/conformance';
 * testStrategy(() => createBoundedLoadStrategy({ epsilon: 0.25 }));
 * ```
 */
export function testStrategy(factory: () => BalancingStrategy, options: { epsilon?: number } = {}): void {
  const sample = factory();
  const epsilon = options.epsilon ?? 0.25;

  describe(`balancing strategy ${sample.name} (conformance)`, () => {
    it('has a name and states what it supports', () => {
      expect(typeof sample.name).toBe('string');
      expect(sample.name.length).toBeGreaterThan(0);
      expect(typeof sample.supports.affinity).toBe('boolean');
      expect(typeof sample.supports.boundedLoad).toBe('boolean');
    });

    it('returns undefined when there are no nodes', () => {
      expect(factory().choose('job-1', [])).toBeUndefined();
    });

    it('returns undefined when every node is unavailable', () => {
      const nodes = makeNodes(5).map((node) => ({ ...node, available: false }));
      expect(factory().choose('job-1', nodes)).toBeUndefined();
    });

    it('chooses the only available node, whatever its load', () => {
      const nodes = makeNodes(6).map((node, index) => ({ ...node, available: index === 4, inFlight: 1000 }));
      const strategy = factory();
      for (let job = 0; job < 50; job++) expect(strategy.choose(`job-${job}`, nodes)?.id).toBe('node-4');
    });

    it('returns one of the given node objects, never an unavailable one', () => {
      const nodes = makeNodes(10).map((node, index) => ({ ...node, available: index % 3 !== 0 }));
      const strategy = factory();
      for (let job = 0; job < 500; job++) {
        const chosen = strategy.choose(`job-${job}`, nodes);
        expect(nodes).toContain(chosen);
        expect(chosen?.available).toBe(true);
      }
    });

    it('never returns the node to avoid, and undefined when it is the only one', () => {
      const nodes = makeNodes(4);
      const strategy = factory();
      for (let job = 0; job < 200; job++) {
        expect(strategy.choose(`job-${job}`, nodes, `node-${job % 4}`)?.id).not.toBe(`node-${job % 4}`);
      }
      expect(strategy.choose('job-1', makeNodes(1), 'node-0')).toBeUndefined();
    });

    it('spreads many jobs over every node', () => {
      const nodes = makeNodes(8);
      const strategy = factory();
      const counts = new Map<string, number>();
      for (let job = 0; job < 4000; job++) {
        const id = strategy.choose(`job-${job}`, nodes)!.id;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      expect(counts.size).toBe(8);
      for (const count of counts.values()) expect(count).toBeGreaterThan(4000 / 8 / 2);
    });

    it('accepts any string as job and node id, and node sets that change between calls', () => {
      const strategy = factory();
      const ids = ['', 'é', '🦊', 'a'.repeat(300), `0x${'f'.repeat(64)}`];
      let nodes: NodeLoad[] = ids.map((id) => ({ id: `n${id}`, inFlight: 0, available: true }));
      for (const job of ids) expect(nodes).toContain(strategy.choose(job, nodes));
      nodes = nodes.slice(1);
      for (const job of ids) expect(nodes).toContain(strategy.choose(job, nodes));
      nodes = [...nodes, { id: 'late', inFlight: 0, available: true }];
      for (const job of ids) expect(nodes).toContain(strategy.choose(job, nodes));
    });

    it('handles a thousand nodes', () => {
      const nodes = makeNodes(1000);
      const strategy = factory();
      const chosen = new Set<string>();
      for (let job = 0; job < 2000; job++) chosen.add(strategy.choose(`job-${job}`, nodes)!.id);
      expect(chosen.size).toBeGreaterThan(500);
    });

    if (sample.supports.affinity) {
      it('affinity: two instances (two gateway replicas) choose the same node for the same inputs', () => {
        const first = factory();
        const second = factory();
        const random = createRandom(3);
        const nodes = makeNodes(10).map((node) => ({ ...node, inFlight: Math.floor(random() * 20) }));
        const copy = nodes.map((node) => ({ ...node }));
        for (let job = 0; job < 500; job++) {
          expect(second.choose(`job-${job}`, copy)?.id).toBe(first.choose(`job-${job}`, nodes)?.id);
        }
      });

      it('affinity: a job keeps its node while loads are even, and the node order does not matter', () => {
        const strategy = factory();
        const nodes = makeNodes(10);
        const reversed = [...nodes].reverse();
        for (let job = 0; job < 200; job++) {
          const home = strategy.choose(`job-${job}`, nodes)?.id;
          expect(strategy.choose(`job-${job}`, nodes)?.id).toBe(home);
          expect(strategy.choose(`job-${job}`, reversed)?.id).toBe(home);
        }
      });

      it('affinity: when a node leaves or is ejected, only the jobs it served move', () => {
        const strategy = factory();
        const nodes = makeNodes(10);
        const homes = new Map<string, string>();
        for (let job = 0; job < 1000; job++) homes.set(`job-${job}`, strategy.choose(`job-${job}`, nodes)!.id);
        const without = nodes.filter((node) => node.id !== 'node-3');
        const ejected = nodes.map((node) => (node.id === 'node-3' ? { ...node, available: false } : node));
        let moved = 0;
        for (const [job, home] of homes) {
          const after = strategy.choose(job, without)!.id;
          expect(strategy.choose(job, ejected)!.id).toBe(after);
          if (home !== 'node-3') expect(after).toBe(home);
          else moved++;
        }
        expect(moved).toBeGreaterThan(0);
        expect(moved).toBeLessThan(200);
      });
    }

    if (sample.supports.boundedLoad) {
      it('bounded load: no node exceeds ceil((1 + ε) × average) under a skewed load', () => {
        const nodes = makeNodes(10);
        const { worstRatio } = simulate(factory(), nodes, 200, 20_000, 400);
        expect(worstRatio).toBeLessThanOrEqual(1 + epsilon + 0.05);
      });

      it('bounded load: a loaded home sends the job to another node', () => {
        const strategy = factory();
        const nodes = makeNodes(5);
        const home = strategy.choose('hot', nodes) as MutableNode;
        home.inFlight = 100;
        for (const node of nodes) if (node !== home) node.inFlight = 10;
        expect(strategy.choose('hot', nodes)?.id).not.toBe(home.id);
      });
    }
  });
}

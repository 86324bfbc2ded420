import { describe, expect, it } from 'vitest';
import { testStrategy } from '../src/conformance.js';
import { hashString } from '../src/hash-ring.js';
import {
  createBoundedLoadStrategy,
  createConsistentHashStrategy,
  createLeastLoadedStrategy,
  createRoundRobinStrategy,
} from '../src/index.js';

testStrategy(() => createBoundedLoadStrategy());
testStrategy(() => createBoundedLoadStrategy({ epsilon: 0.5, replication: 2 }), { epsilon: 0.5 });
testStrategy(() => createConsistentHashStrategy());
testStrategy(() => createRoundRobinStrategy());
testStrategy(() => createLeastLoadedStrategy({ seed: 1 }));

describe('strategy specifics', () => {
  it('hashes strings to the same values in every process (replicas must agree)', () => {
    expect([hashString(''), hashString('42'), hashString('job-1'), hashString('🦊')]).toMatchInlineSnapshot(`
      [
        3954623016,
        2810949028,
        1330177826,
        3787156242,
      ]
    `);
  });

  it('bounded load with replication 2 spreads a job over its two homes only', () => {
    const strategy = createBoundedLoadStrategy({ replication: 2 });
    const nodes = Array.from({ length: 10 }, (_, index) => ({ id: `n${index}`, inFlight: 5, available: true }));
    const used = new Set<string>();
    for (let request = 0; request < 200; request++) {
      const node = strategy.choose('job', nodes) as { id: string; inFlight: number };
      used.add(node.id);
      node.inFlight++;
      for (const other of nodes) if (other !== node && other.inFlight > 5) other.inFlight--;
    }
    expect(used.size).toBe(2);
  });

  it('round-robin cycles through available nodes in order', () => {
    const strategy = createRoundRobinStrategy();
    const nodes = ['a', 'b', 'c'].map((id) => ({ id, inFlight: 0, available: id !== 'b' }));
    expect([1, 2, 3, 4].map(() => strategy.choose('j', nodes)?.id)).toEqual(['a', 'c', 'a', 'c']);
  });

  it('least-loaded picks the lighter of two nodes', () => {
    const strategy = createLeastLoadedStrategy({ seed: 9 });
    const nodes = [
      { id: 'busy', inFlight: 50, available: true },
      { id: 'idle', inFlight: 0, available: true },
    ];
    for (let request = 0; request < 20; request++) expect(strategy.choose('j', nodes)?.id).toBe('idle');
  });

  it('rejects bad options with RangeError', () => {
    expect(() => createBoundedLoadStrategy({ epsilon: 0 })).toThrow(RangeError);
    expect(() => createBoundedLoadStrategy({ replication: 1.5 })).toThrow(RangeError);
    expect(() => createConsistentHashStrategy({ virtualNodes: 0 })).toThrow(RangeError);
    expect(() => createLeastLoadedStrategy({ seed: 0.5 })).toThrow(RangeError);
  });
});

/**
 * A clairvoyant reference for the keep-alive benchmark (not a usable policy: it reads the future from the trace).
 * Belady's rule extended to sizes: when memory is short, drop the resident app whose next invocation is furthest
 * away; never expire. It is not a proven optimum for variable sizes and costs, but no online policy is expected to
 * beat it by much, so it shows how much room a budget leaves.
 */
import type { KeepAlivePolicy, Trace } from '../src/cache/index.js';
import { IndexedMinHeap } from '../src/cache/indexed-heap.js';

/** Builds the oracle for `trace`; create a fresh one per simulation. */
export function createOraclePolicy(trace: Trace): KeepAlivePolicy {
  const appCount = trace.apps.length;
  const indexOf = new Map(trace.apps.map((app, index) => [app.id, index]));
  // Each app's invocation times, in order, and a cursor to the first one after "now".
  const starts = new Uint32Array(appCount + 1);
  for (const index of trace.appIndexes) starts[index + 1]!++;
  for (let index = 0; index < appCount; index++) starts[index + 1]! += starts[index]!;
  const times = new Float64Array(trace.times.length);
  const fill = starts.slice(0, appCount);
  for (let i = 0; i < trace.times.length; i++) times[fill[trace.appIndexes[i]!]!++] = trace.times[i]!;
  const cursor = starts.slice(0, appCount);
  const heap = new IndexedMinHeap(); // key = -(next use): furthest next use on top

  const nextUse = (id: string, now: number): number => {
    const index = indexOf.get(id)!;
    let position = cursor[index]!;
    while (position < starts[index + 1]! && times[position]! <= now) position++;
    cursor[index] = position;
    return position < starts[index + 1]! ? times[position]! : Number.MAX_SAFE_INTEGER;
  };
  return {
    name: 'oracle (Belady)',
    onHit(id, now) {
      if (heap.has(id)) heap.set(id, -nextUse(id, now));
    },
    onMiss(id, _info, now) {
      heap.set(id, -nextUse(id, now));
    },
    onEvict(id) {
      heap.delete(id);
    },
    selectVictims(needBytes, resident) {
      const victims: string[] = [];
      let freed = 0;
      heap.walk((id) => {
        if (freed >= needBytes) return false;
        const info = resident.get(id);
        if (info !== undefined) {
          victims.push(id);
          freed += info.sizeBytes;
        }
        return true;
      });
      return victims;
    },
    expired() {
      return [];
    },
  };
}

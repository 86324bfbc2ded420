/**
 * A binary min-heap of string ids keyed by a number, with O(log n) insert, update, remove and pop,
 * and O(1) lookup of an id's key. Ties are broken by insertion order (older first), so every policy
 * built on it is deterministic.
 *
 * Internal to the cache policies (not part of the package's API).
 *
 * @example
 * ```ts
 * const heap = new IndexedMinHeap();
 * heap.set('a', 3);
 * heap.set('b', 1);
 * heap.peek(); // 'b'
 * ```
 */
interface HeapNode {
  id: string;
  key: number;
  tie: number;
  position: number;
}

export class IndexedMinHeap {
  // Nodes carry their own position: a swap is two property writes, not two Map updates.
  readonly #heap: HeapNode[] = [];
  readonly #nodes = new Map<string, HeapNode>();
  #sequence = 0;

  /** How many ids the heap holds. */
  get size(): number {
    return this.#heap.length;
  }

  /** Whether `id` is in the heap. */
  has(id: string): boolean {
    return this.#nodes.has(id);
  }

  /** The key of `id`, or `undefined` when absent. */
  keyOf(id: string): number | undefined {
    return this.#nodes.get(id)?.key;
  }

  /** Inserts `id` with `key`, or changes its key (a changed key counts as a fresh insertion for ties). */
  set(id: string, key: number): void {
    let node = this.#nodes.get(id);
    const tie = this.#sequence++;
    if (node === undefined) {
      node = { id, key, tie, position: this.#heap.length };
      this.#nodes.set(id, node);
      this.#heap.push(node);
      this.#up(node.position);
      return;
    }
    const lower = key < node.key;
    node.key = key;
    node.tie = tie;
    if (lower) this.#up(node.position);
    else this.#down(node.position);
  }

  /** Removes `id`; returns whether it was present. */
  delete(id: string): boolean {
    const node = this.#nodes.get(id);
    if (node === undefined) return false;
    this.#removeAt(node.position);
    return true;
  }

  /** The id with the smallest key, without removing it. */
  peek(): string | undefined {
    return this.#heap[0]?.id;
  }

  /** The smallest key, or `undefined` when empty. */
  peekKey(): number | undefined {
    return this.#heap[0]?.key;
  }

  /** Removes and returns the id with the smallest key. */
  pop(): string | undefined {
    const top = this.#heap[0];
    if (top !== undefined) this.#removeAt(0);
    return top?.id;
  }

  /**
   * The ids in ascending key order until `accept` returns false for one, without changing the heap.
   * Costs O(k log k) for k ids visited (a best-first walk over the heap's tree).
   */
  walk(accept: (id: string, key: number) => boolean): void {
    const heap = this.#heap;
    if (heap.length === 0) return;
    // A small frontier heap of positions: the next smallest is always a child of one already visited.
    const frontier: number[] = [0];
    const less = (a: number, b: number) => before(heap[a]!, heap[b]!);
    while (frontier.length > 0) {
      const position = frontier[0]!;
      const last = frontier.pop()!;
      if (frontier.length > 0) {
        frontier[0] = last;
        siftDown(frontier, 0, less);
      }
      const node = heap[position]!;
      if (!accept(node.id, node.key)) return;
      for (let child = 2 * position + 1; child <= 2 * position + 2 && child < heap.length; child++) {
        frontier.push(child);
        siftUp(frontier, frontier.length - 1, less);
      }
    }
  }

  #removeAt(position: number): void {
    const heap = this.#heap;
    const removed = heap[position]!;
    const last = heap.pop()!;
    this.#nodes.delete(removed.id);
    if (last === removed) return;
    heap[position] = last;
    last.position = position;
    this.#up(position);
    this.#down(last.position);
  }

  #up(position: number): void {
    const heap = this.#heap;
    const node = heap[position]!;
    let child = position;
    while (child > 0) {
      const parentPosition = (child - 1) >> 1;
      const parent = heap[parentPosition]!;
      if (!before(node, parent)) break;
      heap[child] = parent;
      parent.position = child;
      child = parentPosition;
    }
    heap[child] = node;
    node.position = child;
  }

  #down(position: number): void {
    const heap = this.#heap;
    const length = heap.length;
    const node = heap[position]!;
    let parent = position;
    for (;;) {
      const left = 2 * parent + 1;
      if (left >= length) break;
      const right = left + 1;
      const smaller = right < length && before(heap[right]!, heap[left]!) ? right : left;
      const child = heap[smaller]!;
      if (!before(child, node)) break;
      heap[parent] = child;
      child.position = parent;
      parent = smaller;
    }
    heap[parent] = node;
    node.position = parent;
  }
}

function before(a: HeapNode, b: HeapNode): boolean {
  return a.key < b.key || (a.key === b.key && a.tie < b.tie);
}

function siftUp(items: number[], start: number, less: (a: number, b: number) => boolean): void {
  let child = start;
  while (child > 0) {
    const parent = (child - 1) >> 1;
    if (!less(items[child]!, items[parent]!)) return;
    [items[child], items[parent]] = [items[parent]!, items[child]!];
    child = parent;
  }
}

function siftDown(items: number[], start: number, less: (a: number, b: number) => boolean): void {
  let parent = start;
  for (;;) {
    const left = 2 * parent + 1;
    if (left >= items.length) return;
    const right = left + 1;
    const smaller = right < items.length && less(items[right]!, items[left]!) ? right : left;
    if (!less(items[smaller]!, items[parent]!)) return;
    [items[smaller], items[parent]] = [items[parent]!, items[smaller]!];
    parent = smaller;
  }
}

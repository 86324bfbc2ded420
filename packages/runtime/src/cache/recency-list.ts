interface Node {
  id: string;
  time: number;
  previous: Node | undefined;
  next: Node | undefined;
}

/**
 * Ids in order of their last touch (oldest first), with O(1) touch, delete and oldest. A doubly linked list over
 * a `Map`: unlike iterating a `Map` kept in insertion order, reading the oldest never walks over the holes that
 * deletions leave, so it stays O(1) at any size.
 *
 * @example
 * ```ts
 * const list = new RecencyList();
 * list.touch('a', 1);
 * list.touch('b', 2);
 * list.touch('a', 3);
 * [...list.ids()]; // ['b', 'a']
 * ```
 */
export class RecencyList {
  readonly #nodes = new Map<string, Node>();
  #head: Node | undefined;
  #tail: Node | undefined;

  /** How many ids the list holds. */
  get size(): number {
    return this.#nodes.size;
  }

  /** Whether `id` is in the list. */
  has(id: string): boolean {
    return this.#nodes.has(id);
  }

  /** Moves `id` (inserting it if absent) to the newest end, with `time`. */
  touch(id: string, time: number): void {
    let node = this.#nodes.get(id);
    if (node === undefined) {
      node = { id, time, previous: undefined, next: undefined };
      this.#nodes.set(id, node);
    } else {
      node.time = time;
      if (node === this.#tail) return;
      this.#unlink(node);
    }
    node.previous = this.#tail;
    node.next = undefined;
    if (this.#tail === undefined) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
  }

  /** Removes `id`; returns whether it was present. */
  delete(id: string): boolean {
    const node = this.#nodes.get(id);
    if (node === undefined) return false;
    this.#unlink(node);
    this.#nodes.delete(id);
    return true;
  }

  /** The least recently touched id. */
  oldest(): string | undefined {
    return this.#head?.id;
  }

  /** The time of the least recently touched id. */
  oldestTime(): number | undefined {
    return this.#head?.time;
  }

  /** Ids with their times, oldest first (lazy: stop early to pay only for what you read). */
  *entries(): IterableIterator<[string, number]> {
    for (let node = this.#head; node !== undefined; node = node.next) yield [node.id, node.time];
  }

  /** Ids, oldest first. */
  *ids(): IterableIterator<string> {
    for (let node = this.#head; node !== undefined; node = node.next) yield node.id;
  }

  #unlink(node: Node): void {
    if (node.previous === undefined) this.#head = node.next;
    else node.previous.next = node.next;
    if (node.next === undefined) this.#tail = node.previous;
    else node.next.previous = node.previous;
    node.previous = undefined;
    node.next = undefined;
  }
}

import { equalBytes } from '../bytes.js';

interface SizeEntry {
  /** The key as stored: the same array the store keeps, so the index adds no key bytes. */
  readonly key: Uint8Array;
  valueLength: number;
}

/**
 * The value length of every key of an in-memory store, by key hash. A write must know the size it
 * replaces (exact stored-bytes accounting); asking memory-level's tree costs a second O(log n) search with
 * a JavaScript comparator, about as much as the write itself, while this costs one Map lookup. Kept only
 * for stores that live in memory anyway (one small object per key) and only while MuDB is their sole writer.
 */
export class SizeIndex {
  readonly #slots = new Map<number, SizeEntry | SizeEntry[]>();

  /** The value length stored at `key`, or undefined when the key is absent. */
  get(hash: number, key: Uint8Array): number | undefined {
    const slot = this.#slots.get(hash);
    if (slot === undefined) return undefined;
    if (!Array.isArray(slot)) return equalBytes(slot.key, key) ? slot.valueLength : undefined;
    for (const entry of slot) if (equalBytes(entry.key, key)) return entry.valueLength;
    return undefined;
  }

  /** Records that `key` now holds a value of `valueLength` bytes (undefined: the key was deleted). */
  set(hash: number, key: Uint8Array, valueLength: number | undefined): void {
    if (valueLength === undefined) {
      this.#delete(hash, key);
      return;
    }
    const slot = this.#slots.get(hash);
    if (slot === undefined) {
      this.#slots.set(hash, { key, valueLength });
    } else if (!Array.isArray(slot)) {
      if (equalBytes(slot.key, key)) slot.valueLength = valueLength;
      else this.#slots.set(hash, [slot, { key, valueLength }]);
    } else {
      const entry = slot.find((candidate) => equalBytes(candidate.key, key));
      if (entry) entry.valueLength = valueLength;
      else slot.push({ key, valueLength });
    }
  }

  #delete(hash: number, key: Uint8Array): void {
    const slot = this.#slots.get(hash);
    if (slot === undefined) return;
    if (!Array.isArray(slot)) {
      if (equalBytes(slot.key, key)) this.#slots.delete(hash);
      return;
    }
    const remaining = slot.filter((entry) => !equalBytes(entry.key, key));
    if (remaining.length === 0) this.#slots.delete(hash);
    else this.#slots.set(hash, remaining.length === 1 ? remaining[0]! : remaining);
  }
}

/** What one namespace used since the last {@link Namespace.takeUsage}; billing reads it. */
export interface Usage {
  /** Keys read (get, exists, each key of getMany, each entry a listing returns; at least 1 per listing). */
  reads: number;
  /** Keys written or deleted (set, delete, increment, successful compare-and-swap, each key of a batch). */
  writes: number;
  /** Value bytes returned, plus key bytes of listings. */
  bytesRead: number;
  /** Key + value bytes written. */
  bytesWritten: number;
  /** Bytes (keys + values) the namespace holds now, as of its last write in this process. A gauge, never reset. */
  storedBytes: number;
}

/** A fresh, zeroed usage record. */
export function emptyUsage(storedBytes = 0): Usage {
  return { reads: 0, writes: 0, bytesRead: 0, bytesWritten: 0, storedBytes };
}

import type { MuBackend } from './backend.js';

/** The state a store shares with its namespaces and buckets: one object, so closing the store reaches them all. */
export interface StoreState {
  readonly backend: MuBackend;
  open: boolean;
  /** Values read from an in-memory backend are the stored arrays themselves: hand out copies. */
  readonly copyReads: boolean;
}

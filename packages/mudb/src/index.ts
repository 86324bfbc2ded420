export type {
  BackendCapabilities,
  CompareAndSwapResult,
  Entry,
  IncrementResult,
  MuBackend,
  RangeOptions,
  WriteLimits,
  WriteOperation,
} from './backend.js';
export {
  type BatchOperation,
  Bucket,
  type KeyPage,
  type ListKeysOptions,
  type RangeQuery,
  type ValueInput,
} from './bucket.js';
export {
  AuthError,
  BackendError,
  BadCursorError,
  BatchTooLargeError,
  ConnectionError,
  ConnectionLostError,
  CounterOverflowError,
  ForbiddenError,
  KeyTooLargeError,
  MuDBError,
  type MuDBErrorCode,
  type MuDBErrorOptions,
  NotACounterError,
  NotOpenError,
  ProtocolError,
  QuotaExceededError,
  UnsupportedError,
  ValueTooLargeError,
} from './errors.js';
export { KeyLocks } from './key-locks.js';
export type { AnyLevel, LevelBatchOperation } from './level/abstract-level.js';
export { LevelBackend, type LevelBackendOptions } from './level/level-backend.js';
export { MuDB, type OpenMuDBOptions, openMuDB } from './mudb.js';
export { Namespace } from './namespace.js';
export { DEFAULT_QUOTA, type Quota, type ResolvedQuota } from './quota.js';
export type { Usage } from './usage.js';

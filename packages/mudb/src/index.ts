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
export { type AnyLevel, LevelBackend, type LevelBackendOptions, type LevelBatchOperation } from './level-backend.js';
export {
  type BatchOperation,
  Bucket,
  type KeyPage,
  type ListKeysOptions,
  MuDB,
  Namespace,
  type OpenMuDBOptions,
  openMuDB,
  type RangeQuery,
  type ValueInput,
} from './mudb.js';
export { DEFAULT_QUOTA, type Quota, type ResolvedQuota } from './quota.js';
export {
  type ClientCredential,
  createMuDBServer,
  DEFAULT_MAX_FRAME_BYTES,
  type ListenOptions,
  MIN_SECRET_BYTES,
  MuDBServer,
  type MuDBServerOptions,
  PROTOCOL_VERSION,
  RemoteBackend,
  type RemoteBackendOptions,
  type ServerLogEvent,
} from './server/index.js';
export type { Usage } from './usage.js';

export {
  type CacheEntryInfo,
  createDefaultPolicy,
  createGdsfPolicy,
  createHybridHistogramPolicy,
  createLruPolicy,
  createTtlPolicy,
  type DefaultPolicyOptions,
  type GdsfPolicyOptions,
  generateTrace,
  type HistogramWindowOptions,
  KeepAliveCache,
  type KeepAliveCacheOptions,
  type KeepAliveCacheStats,
  type KeepAlivePolicy,
  type KeepAliveSetOptions,
  type SimulationResult,
  simulateKeepAlive,
  type Trace,
  type TraceApp,
  type TraceOptions,
} from './cache/index.js';
export {
  GUEST_ERROR_STATUS,
  type GuestErrorCode,
  HashMismatchError,
  JobExistsError,
  JobNotFoundError,
  LoadError,
  MissingExportError,
  MuRuntimeError,
  NotAComponentError,
  RuntimeClosedError,
  type RuntimeErrorCode,
  type RuntimeErrorOptions,
  TranspileError,
  UnsupportedImportError,
  WrongWorldError,
} from './errors.js';
export { createRuntimeHandler, type RuntimeHandlerOptions } from './handler.js';
export type { Registration } from './host/app-registry.js';
export { emptyJobUsage, type JobUsage } from './host/metering.js';
export {
  type AppLimits,
  type AppOptions,
  DEFAULT_APP_LIMITS,
  type JobLogEntry,
  type RuntimeOptions,
} from './host/options.js';
export type { Receipt } from './host/receipt.js';
export { createRuntime, type Runtime, type RuntimeStats } from './host/runtime.js';
export type { LogEntry, LogLevel } from './threads/messages.js';
export { capMemories, sha256Hex, type WasmKind, wasmKind } from './transpile/wasm-binary.js';
export { MU_WORLD_IMPORTS, type World } from './transpile/worlds.js';
export { muWitPath } from './wit.js';

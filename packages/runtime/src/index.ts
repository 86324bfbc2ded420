export * from './cache/index.js';
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
export { emptyJobUsage, type JobUsage } from './metering.js';
export type { LogEntry, LogLevel } from './protocol.js';
export {
  type AppLimits,
  type AppOptions,
  createRuntime,
  type JobLogEntry,
  type Receipt,
  type Registration,
  type Runtime,
  type RuntimeOptions,
  type RuntimeStats,
} from './runtime.js';
export { capMemories, sha256Hex, type WasmKind, wasmKind } from './wasm-binary.js';
export { muWitPath } from './wit.js';
export { MU_WORLD_IMPORTS, type World } from './worlds.js';

export { type FetchCodeOptions, fetchCode } from './code.js';
export {
  CONFIG_ENV,
  type LoadConfigOptions,
  loadConfig,
  type MuDBLocation,
  type NodeConfig,
  type PeerNode,
} from './config.js';
export {
  CodeFetchError,
  CodeMismatchError,
  ConfigError,
  ExecutorError,
  type ExecutorErrorCode,
  type ExecutorErrorOptions,
} from './errors.js';
export {
  type Executor,
  type ExecutorStatus,
  jsonLogger,
  type Logger,
  type LogLevel,
  openNodeStore,
  startExecutor,
} from './executor.js';
export { createDrainableServer, type DrainableServer } from './http-server.js';
export { createJobTable, type JobEntry, type JobStatus, type JobTable, type JobTableOptions } from './job-table.js';
export {
  loadProviderGatewayConfig,
  type ProviderGateway,
  type ProviderGatewayConfig,
  startProviderGateway,
} from './provider-gateway.js';
export { type LedgerStats, type PeriodUsage, UsageLedger, type UsageLedgerOptions } from './usage-ledger.js';

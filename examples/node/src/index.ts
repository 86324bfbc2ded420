export {
  type ChainConnection,
  checkCertificate,
  checkMarketplace,
  connectToChain,
} from './chain.js';
export { type FetchCodeOptions, fetchCode } from './code.js';
export {
  CONFIG_ENV,
  type LoadConfigOptions,
  loadConfig,
  type MuDBLocation,
  type NodeConfig,
  type PeerNode,
} from './config.js';
export type { NodeCertificateJson, NodeConfigFile } from './config-file.js';
export {
  CodeFetchError,
  CodeMismatchError,
  ConfigError,
  ExecutorError,
  type ExecutorErrorCode,
  type ExecutorErrorOptions,
} from './errors.js';
export { type Executor, type ExecutorStatus, startExecutor } from './executor.js';
export { createDrainableServer, type DrainableServer } from './http-server.js';
export { type JobRegistration, type JobSync, type JobSyncOptions, startJobSync } from './job-sync.js';
export { createJobTable, type JobEntry, type JobStatus, type JobTable, type JobTableOptions } from './job-table.js';
export { jsonLogger, type Logger, type LogLevel } from './logger.js';
export { listenNodeServers, type NodeServers, type NodeServersOptions } from './node-servers.js';
export { openNodeStore } from './node-store.js';
export {
  loadProviderGatewayConfig,
  type ProviderGateway,
  type ProviderGatewayConfig,
  startProviderGateway,
} from './provider-gateway.js';
export { type LedgerStats, type PeriodUsage, UsageLedger, type UsageLedgerOptions } from './usage-ledger.js';
export { startUsagePeriods, type UsagePeriods, type UsagePeriodsOptions } from './usage-periods.js';

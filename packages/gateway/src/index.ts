export {
  type BoundedLoadOptions,
  type ConsistentHashOptions,
  createBoundedLoadStrategy,
  createConsistentHashStrategy,
} from './consistent-hash.js';
export {
  BadFramingError,
  BodyTooLargeError,
  GatewayError,
  type GatewayErrorCode,
  type GatewayErrorOptions,
  JobCancelledError,
  JobExhaustedError,
  NoNodeError,
  ResolveFailedError,
  UnknownJobError,
  UpstreamFailedError,
  type UpstreamFailure,
  UpstreamTimeoutError,
} from './errors.js';
export {
  type ClientInfo,
  createGateway,
  type Gateway,
  type GatewayOptions,
  type JobInfo,
  type JobUsage,
  type ResolveJob,
} from './gateway.js';
export { JOB_ID_HEADER } from './headers.js';
export type { HealthOptions, NodeStatus } from './health.js';
export { createLeastLoadedStrategy, type LeastLoadedOptions } from './least-loaded.js';
export type { HttpNodeSpec, LocalNodeSpec, NodeSpec } from './node.js';
export { createRoundRobinStrategy } from './round-robin.js';
export { createGatewayServer } from './server.js';
export type { BalancingStrategy, NodeLoad, StrategySupports } from './strategy.js';

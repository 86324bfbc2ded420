export { createGatewayServer } from './adapters/node-http.js';
export type { ClientInfo } from './adapters/web.js';
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
  NoSuchJobError,
  ResolveFailedError,
  UpstreamFailedError,
  type UpstreamFailure,
  UpstreamTimeoutError,
} from './errors.js';
export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export { JOB_ID_HEADER } from './headers.js';
export type { HealthOptions, NodeStatus } from './health.js';
export { createLeastLoadedStrategy, type LeastLoadedOptions } from './least-loaded.js';
export type { HttpNodeSpec, LocalNodeSpec, NodeSpec } from './node.js';
export { createRoundRobinStrategy } from './round-robin.js';
export type { ResolvedJob, ResolveJob } from './router.js';
export type { BalancingStrategy, NodeLoad, StrategySupports } from './strategy.js';
export type { JobTraffic } from './traffic.js';

export type { JobRecord, OfferRecord } from '@mu/contracts';
export {
  createTtlCache,
  type TtlCache,
} from './cache.js';
export {
  type Connection,
  type ContractRead,
  connect,
  createMarketplaceClient,
  type MarketplaceClient,
  type MarketplaceClientOptions,
  marketplaceCall,
  type Read,
  type ReadOutcome,
  readBatch,
} from './client.js';
export {
  estimateCost,
  normalizeUsage,
  PRICE_SCALE_DECIMALS,
  type Prices,
  rankByCost,
  type Usage,
  type UsageProfile,
} from './cost.js';
export {
  CallRevertedError,
  JobNotFoundError,
  MarketplaceError,
  type MarketplaceErrorCode,
  type MarketplaceErrorOptions,
  ProviderNotFoundError,
  RegionNotFoundError,
  RpcError,
  RpcUnreachableError,
  WrongChainError,
  WrongContractError,
} from './errors.js';
export {
  getClientJobs,
  getJob,
  getProviderJobs,
  type Job,
  type JobPage,
  type JobPageOptions,
  type JobStatus,
} from './jobs.js';
export {
  getMarketplaceInfo,
  getRegions,
  type MarketplaceInfo,
  type Region,
} from './market.js';
export {
  fetchProviderMetadata,
  type MetadataOptions,
  type ProviderMetadata,
} from './metadata.js';
export { MULTICALL3_ADDRESS } from './multicall.js';
export {
  getProviderDetails,
  getRegionProviders,
  type ProviderDetails,
  type ProviderOffer,
  type RegionProvidersOptions,
} from './providers.js';
export {
  type BurnRate,
  type DepositPoint,
  getJobSpending,
  type JobSpending,
  type JobSpendingOptions,
  type SettlementPoint,
} from './spending.js';
export {
  createTransport,
  type Eip1193Provider,
  type RpcErrorObject,
  type RpcOutcome,
  type RpcRequest,
  type Transport,
  type TransportOptions,
  type TransportStats,
} from './transport.js';

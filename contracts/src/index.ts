export { connectMarketplace, type DeployMuOptions, deployMu, type MuDeployment } from './deployment.js';
export { DeployFailedError, MuContractsError, type MuContractsErrorCode } from './errors.js';
export {
  MuMarketplaceAbi,
  MuMarketplaceBytecode,
  TestStablecoinAbi,
  TestStablecoinBytecode,
} from './generated/artifacts.js';
export {
  eip712Types,
  type Hex,
  muDomain,
  type NodeCertificate,
  PRICE_SCALE_DECIMALS,
  type Prices,
  type UsageReport,
} from './protocol.js';
export { waitForTransaction } from './transactions.js';
export {
  USAGE_COUNTER_FIELDS,
  USAGE_REPORT_UINT64_FIELDS,
  type UsageReportUint64Field,
} from './usage-report-fields.js';
export { encodeUsageReports, type SignedUsageReport, USAGE_REPORT_SIZE } from './usage-reports.js';
export {
  type JobRecord,
  type OfferRecord,
  type ProviderRecord,
  type Region,
  toJobRecord,
  toOfferRecord,
  toPrices,
  toProviderRecord,
  toRegion,
} from './views.js';

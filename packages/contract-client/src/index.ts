export {
  MuMarketplaceAbi,
  MuMarketplaceBytecode,
  TestStablecoinAbi,
  TestStablecoinBytecode,
} from '@mu/contracts';
export * from './admin.js';
export type { BytesInput, Hex } from './bytes.js';
export {
  type CreateMuClientOptions,
  createMuClient,
  createMuClientFromEip1193,
  findEvent,
  getMuDomain,
  type MuClient,
  type MuEvent,
  type WriteResult,
} from './client.js';
export * from './compatibility.js';
export * from './contract-errors.js';
export * from './deploy.js';
export {
  EXECUTION_RECEIPT_TYPES,
  MU_DOMAIN_NAME,
  MU_DOMAIN_VERSION,
  type MuDomainInput,
  muDomain,
  NODE_CERTIFICATE_TYPES,
  USAGE_REPORT_TYPES,
} from './eip712.js';
export { type EncryptionKeyPair, generateEncryptionKey, getEncryptionPublicKey } from './encryption-key.js';
export * from './envelope.js';
export * from './errors.js';
export * from './job-spec.js';
export * from './jobs.js';
export * from './node-key.js';
export { chargeFor, PRICE_SCALE_DECIMALS, type Prices, type PricesInput } from './prices.js';
export * from './providers.js';
export * from './reads.js';
export * from './receipt.js';
export {
  type BuildSettlementOptions,
  buildSettlements,
  type CertificateArgument,
  proveEquivocation,
  type RejectedReport,
  SETTLEMENT_LIMITS,
  type SettledReport,
  type Settlement,
  settleUsage,
} from './settlement.js';
export { approveToken, getTokenAddress, getTokenBalance, mintTestToken, type Permit, signPermit } from './token.js';
export * from './usage-report.js';
export * from './watch-jobs.js';

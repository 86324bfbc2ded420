import type { MuMarketplaceAbi, TestStablecoinAbi } from '@mu/contracts';
import { type ErrorDescription, type Interface, isError } from 'ethers';
import { findRevertData, namedArgs } from './abi.js';
import { ContractClientError, type ContractClientErrorOptions } from './errors.js';

/**
 * What to do about each custom error of the Mu contracts (and the OpenZeppelin errors they can bubble up).
 * The code is `CONTRACT_` + the Solidity name in SCREAMING_SNAKE_CASE (`InsufficientDeposit` →
 * `CONTRACT_INSUFFICIENT_DEPOSIT`); codes are public API, hints may change.
 */
export const CONTRACT_ERROR_HINTS = {
  ZeroAddress: 'An address argument is the zero address; pass a real account.',
  ZeroAmount: 'The amount is zero; pass a positive amount.',
  FeeTooHigh: 'The protocol fee is above the contract maximum; pass at most `max` basis points.',
  BpsOutOfRange: 'A basis-point value is above 10000.',
  DelayTooLong: 'The delay is above the contract maximum; pass at most `max` seconds.',
  StringTooLong: 'The string is too long; shorten it to at most `max` bytes.',
  EmptyString: 'The string is empty; pass a non-empty name or URL.',
  UnknownRegion: 'No such region id; list regions with getRegions() or ask the admin to create it.',
  AlreadyRegistered: 'This account is already a provider; use updateProvider() or addDeposit().',
  NotRegistered: 'This account is not a registered provider; call registerProvider() first.',
  InvalidEncryptionKey:
    'The encryption key must be a 33-byte compressed secp256k1 key; use generateEncryptionKey().publicKey.',
  DepositBelowMinimum: 'The provider deposit is below the minimum; add at least `minimum` with addDeposit().',
  InsufficientDeposit: 'Cannot unbond more than the deposit; lower the amount to at most `available`.',
  ActiveJobsNeedDeposit: 'Active jobs need the minimum deposit behind them; unbond less or wait for the jobs to end.',
  NothingToWithdraw: 'There is nothing to withdraw for this account yet.',
  UnbondingLocked: 'The unbonding delay has not passed; retry after `releaseAt` (unix seconds).',
  OfferNotOpen: 'The provider has no open offer in this region; pick another provider or region.',
  SpecTooLarge: 'The encrypted job spec is larger than the contract allows; shrink the spec (env values).',
  UnknownJob: 'No such job id; check the id (ids start at 1) and the marketplace address.',
  NotJobClient: 'Only the client that created the job can do this.',
  NotJobParty: "Only the job's client or provider can cancel it.",
  JobIsCancelled: 'The job is cancelled; create a new job.',
  SettlementWindowOpen: 'The settlement window is still open (or the job is not cancelled); retry after `closesAt`.',
  SettlementWindowClosed:
    'The settlement window of this cancelled job has closed; these reports can no longer be paid.',
  MalformedReports: 'The packed reports are not a whole number of records; build them with buildSettlements().',
  TooManyCertificates: 'A batch carries at most 256 certificates; split it (buildSettlements() does).',
  UnknownCertificate: 'A report points at a certificate index outside the batch; build it with buildSettlements().',
  InvalidCertificateSignature:
    'The certificate was not signed by its provider under this chain and contract; sign it again with certifyNode().',
  CertificateExpired: 'The node certificate has expired; have the provider issue a new one with certifyNode().',
  NodeIsRevoked: 'The provider revoked this node; its reports and certificates are refused.',
  CertificateProviderMismatch:
    "The certificate's provider is not the job's provider; use the job provider's certificate.",
  CertificateRegionMismatch: "The certificate's region is not the job's region; certify the node for that region.",
  InvalidReportSignature:
    'The report signature does not match the node and fields; sign it again with signUsageReport().',
  InvalidPeriod: 'periodEnd is before periodStart; fix the report period.',
  StaleSequence: 'This (job, node) sequence was already settled; sign new reports with a higher sequence.',
  ReportsNotConflicting:
    'The two reports do not prove equivocation (same job and sequence, different content, same node).',
  FeeOnTransferNotSupported: 'The payment token delivered less than sent; fee-on-transfer tokens are not supported.',
  AmountTooLarge: 'The amount does not fit the contract (uint128); pass a smaller amount.',
  OwnableUnauthorizedAccount: 'Only the marketplace owner (admin) can do this; send it from the owner account.',
  OwnableInvalidOwner: 'The new owner is not a valid address.',
  EnforcedPause: 'The marketplace is paused for new jobs; retry when the admin unpauses it.',
  ExpectedPause: 'The marketplace is not paused.',
  ReentrancyGuardReentrantCall: 'Reentrant call refused.',
  SafeERC20FailedOperation: 'The token transfer failed; check the token balance and allowance.',
  ERC20InsufficientAllowance:
    'The token allowance is too low; approve the marketplace (approveToken()) or use a permit.',
  ERC20InsufficientBalance: 'The token balance is too low; fund the account with enough tokens.',
  ERC20InvalidApprover: 'Invalid token approver.',
  ERC20InvalidReceiver: 'Invalid token receiver.',
  ERC20InvalidSender: 'Invalid token sender.',
  ERC20InvalidSpender: 'Invalid token spender.',
  ERC2612ExpiredSignature: 'The permit deadline has passed; sign a new permit.',
  ERC2612InvalidSigner: 'The permit was not signed by the token owner.',
  InvalidAccountNonce: 'The permit nonce is stale; sign a new permit.',
  InvalidShortString: 'A short string stored by the contract is invalid.',
  ECDSAInvalidSignature: 'The signature is invalid; sign again.',
  ECDSAInvalidSignatureLength: 'The signature has the wrong length; pass a 65-byte signature.',
  ECDSAInvalidSignatureS: 'The signature is malleable (high s); sign again with a standard library.',
} as const;

/** The name of a custom error this package decodes into its own class. */
export type MuContractErrorName = keyof typeof CONTRACT_ERROR_HINTS;

/** Options of a {@link MuContractError}. */
export interface MuContractErrorOptions extends ContractClientErrorOptions {
  /** The raw revert data (`0x` + selector + arguments). */
  data?: string;
}

/**
 * A call to a Mu contract failed. Reverts with a known custom error are instances of the error's own
 * subclass (`InsufficientDepositError`, code `CONTRACT_INSUFFICIENT_DEPOSIT`) with the decoded `args`;
 * other failures keep the ethers error as `cause`.
 *
 * | code | when |
 * |---|---|
 * | `CONTRACT_<CUSTOM_ERROR>` | the contract reverted with that custom error |
 * | `CONTRACT_REVERTED` | a revert with no or unknown data (a require string, a panic) |
 * | `CONTRACT_USER_REJECTED` | the wallet user refused to sign |
 * | `CONTRACT_CALL_FAILED` | anything else: RPC, network, nonce, gas |
 *
 * @example
 * ```ts
 * try { await createJob(client, args); } catch (error) {
 *   if (error instanceof OfferNotOpenError) console.log(error.args.provider, error.args.region);
 * }
 * ```
 */
export class MuContractError extends ContractClientError {
  override name = 'MuContractError';
  /** The Solidity error name, when the revert was decoded. */
  readonly errorName: string | undefined;
  /** The decoded arguments by parameter name (uint values as bigint). */
  readonly args: Readonly<Record<string, unknown>>;
  /** The raw revert data, when there was any. */
  readonly data: string | undefined;

  constructor(
    code: `CONTRACT_${string}`,
    shortMessage: string,
    options: MuContractErrorOptions & { errorName?: string; args?: Record<string, unknown> } = {},
  ) {
    super(code, shortMessage, options);
    this.errorName = options.errorName;
    this.args = Object.freeze({ ...options.args });
    this.data = options.data;
  }
}

/**
 * The code of a Solidity error name: `InvalidPeriod` → `CONTRACT_INVALID_PERIOD`, `ERC20InsufficientBalance` → `CONTRACT_ERC20_INSUFFICIENT_BALANCE`.
 *
 * @example
 * ```ts
 * contractErrorCode('StaleSequence'); // 'CONTRACT_STALE_SEQUENCE'
 * ```
 */
export function contractErrorCode(errorName: string): `CONTRACT_${string}` {
  const snake = errorName
    .replace(/([a-z])([A-Z0-9])/g, '$1_$2')
    .replace(/([0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toUpperCase();
  return `CONTRACT_${snake}`;
}

type AbiItem = (typeof MuMarketplaceAbi)[number] | (typeof TestStablecoinAbi)[number];
type AbiValue<Type extends string> = Type extends `${'uint' | 'int'}${'8' | '16' | '24' | '32'}`
  ? number
  : Type extends `${'uint' | 'int'}${string}`
    ? bigint
    : Type extends 'bool'
      ? boolean
      : string;
type ErrorInputs<Name extends string> = Extract<AbiItem, { type: 'error'; name: Name }>['inputs'][number];

/**
 * The decoded arguments of a custom error, typed from the committed ABI (`StaleSequence` →
 * `{ jobId: bigint; node: string; sequence: bigint; lastSequence: bigint }`; uint ≤ 32 bits are numbers).
 */
export type ContractErrorArgs<Name extends MuContractErrorName> = {
  readonly [Input in ErrorInputs<Name> as Input['name']]: AbiValue<Input['type']>;
};

/** The class of one custom error: `instanceof` narrows to an error whose `args` are typed. */
export type ContractErrorClass<Name extends MuContractErrorName> = new (
  options?: MuContractErrorOptions & { args?: Record<string, unknown> },
) => MuContractError & { readonly errorName: Name; readonly args: ContractErrorArgs<Name> };

function defineContractError<Name extends MuContractErrorName>(errorName: Name): ContractErrorClass<Name> {
  const className = `${errorName}Error`;
  const code = contractErrorCode(errorName);
  const holder = {
    [className]: class extends MuContractError {
      override name = className;
      constructor(options: MuContractErrorOptions & { args?: Record<string, unknown> } = {}) {
        const args = options.args ?? {};
        const shown = Object.entries(args)
          .map(([key, value]) => `${key}=${String(value)}`)
          .join(', ');
        super(code, `${errorName}(${shown}): ${CONTRACT_ERROR_HINTS[errorName]}`, { ...options, errorName, args });
      }
    },
  };
  return holder[className] as unknown as ContractErrorClass<Name>;
}

export const ZeroAddressError = /* @__PURE__ */ defineContractError('ZeroAddress');
export const ZeroAmountError = /* @__PURE__ */ defineContractError('ZeroAmount');
export const FeeTooHighError = /* @__PURE__ */ defineContractError('FeeTooHigh');
export const BpsOutOfRangeError = /* @__PURE__ */ defineContractError('BpsOutOfRange');
export const DelayTooLongError = /* @__PURE__ */ defineContractError('DelayTooLong');
export const StringTooLongError = /* @__PURE__ */ defineContractError('StringTooLong');
export const EmptyStringError = /* @__PURE__ */ defineContractError('EmptyString');
export const UnknownRegionError = /* @__PURE__ */ defineContractError('UnknownRegion');
export const AlreadyRegisteredError = /* @__PURE__ */ defineContractError('AlreadyRegistered');
export const NotRegisteredError = /* @__PURE__ */ defineContractError('NotRegistered');
export const InvalidEncryptionKeyError = /* @__PURE__ */ defineContractError('InvalidEncryptionKey');
export const DepositBelowMinimumError = /* @__PURE__ */ defineContractError('DepositBelowMinimum');
export const InsufficientDepositError = /* @__PURE__ */ defineContractError('InsufficientDeposit');
export const ActiveJobsNeedDepositError = /* @__PURE__ */ defineContractError('ActiveJobsNeedDeposit');
export const NothingToWithdrawError = /* @__PURE__ */ defineContractError('NothingToWithdraw');
export const UnbondingLockedError = /* @__PURE__ */ defineContractError('UnbondingLocked');
export const OfferNotOpenError = /* @__PURE__ */ defineContractError('OfferNotOpen');
export const SpecTooLargeError = /* @__PURE__ */ defineContractError('SpecTooLarge');
export const UnknownJobError = /* @__PURE__ */ defineContractError('UnknownJob');
export const NotJobClientError = /* @__PURE__ */ defineContractError('NotJobClient');
export const NotJobPartyError = /* @__PURE__ */ defineContractError('NotJobParty');
export const JobIsCancelledError = /* @__PURE__ */ defineContractError('JobIsCancelled');
export const SettlementWindowOpenError = /* @__PURE__ */ defineContractError('SettlementWindowOpen');
export const SettlementWindowClosedError = /* @__PURE__ */ defineContractError('SettlementWindowClosed');
export const MalformedReportsError = /* @__PURE__ */ defineContractError('MalformedReports');
export const TooManyCertificatesError = /* @__PURE__ */ defineContractError('TooManyCertificates');
export const UnknownCertificateError = /* @__PURE__ */ defineContractError('UnknownCertificate');
export const InvalidCertificateSignatureError = /* @__PURE__ */ defineContractError('InvalidCertificateSignature');
export const CertificateExpiredError = /* @__PURE__ */ defineContractError('CertificateExpired');
export const NodeIsRevokedError = /* @__PURE__ */ defineContractError('NodeIsRevoked');
export const CertificateProviderMismatchError = /* @__PURE__ */ defineContractError('CertificateProviderMismatch');
export const CertificateRegionMismatchError = /* @__PURE__ */ defineContractError('CertificateRegionMismatch');
export const InvalidReportSignatureError = /* @__PURE__ */ defineContractError('InvalidReportSignature');
export const InvalidPeriodError = /* @__PURE__ */ defineContractError('InvalidPeriod');
export const StaleSequenceError = /* @__PURE__ */ defineContractError('StaleSequence');
export const ReportsNotConflictingError = /* @__PURE__ */ defineContractError('ReportsNotConflicting');
export const FeeOnTransferNotSupportedError = /* @__PURE__ */ defineContractError('FeeOnTransferNotSupported');
export const AmountTooLargeError = /* @__PURE__ */ defineContractError('AmountTooLarge');
export const OwnableUnauthorizedAccountError = /* @__PURE__ */ defineContractError('OwnableUnauthorizedAccount');
export const OwnableInvalidOwnerError = /* @__PURE__ */ defineContractError('OwnableInvalidOwner');
export const EnforcedPauseError = /* @__PURE__ */ defineContractError('EnforcedPause');
export const ExpectedPauseError = /* @__PURE__ */ defineContractError('ExpectedPause');
export const ReentrancyGuardReentrantCallError = /* @__PURE__ */ defineContractError('ReentrancyGuardReentrantCall');
export const SafeERC20FailedOperationError = /* @__PURE__ */ defineContractError('SafeERC20FailedOperation');
export const ERC20InsufficientAllowanceError = /* @__PURE__ */ defineContractError('ERC20InsufficientAllowance');
export const ERC20InsufficientBalanceError = /* @__PURE__ */ defineContractError('ERC20InsufficientBalance');
export const ERC20InvalidApproverError = /* @__PURE__ */ defineContractError('ERC20InvalidApprover');
export const ERC20InvalidReceiverError = /* @__PURE__ */ defineContractError('ERC20InvalidReceiver');
export const ERC20InvalidSenderError = /* @__PURE__ */ defineContractError('ERC20InvalidSender');
export const ERC20InvalidSpenderError = /* @__PURE__ */ defineContractError('ERC20InvalidSpender');
export const ERC2612ExpiredSignatureError = /* @__PURE__ */ defineContractError('ERC2612ExpiredSignature');
export const ERC2612InvalidSignerError = /* @__PURE__ */ defineContractError('ERC2612InvalidSigner');
export const InvalidAccountNonceError = /* @__PURE__ */ defineContractError('InvalidAccountNonce');
export const InvalidShortStringError = /* @__PURE__ */ defineContractError('InvalidShortString');
export const ECDSAInvalidSignatureError = /* @__PURE__ */ defineContractError('ECDSAInvalidSignature');
export const ECDSAInvalidSignatureLengthError = /* @__PURE__ */ defineContractError('ECDSAInvalidSignatureLength');
export const ECDSAInvalidSignatureSError = /* @__PURE__ */ defineContractError('ECDSAInvalidSignatureS');

const ERROR_CLASSES: { [Name in MuContractErrorName]: ContractErrorClass<Name> } = {
  ZeroAddress: ZeroAddressError,
  ZeroAmount: ZeroAmountError,
  FeeTooHigh: FeeTooHighError,
  BpsOutOfRange: BpsOutOfRangeError,
  DelayTooLong: DelayTooLongError,
  StringTooLong: StringTooLongError,
  EmptyString: EmptyStringError,
  UnknownRegion: UnknownRegionError,
  AlreadyRegistered: AlreadyRegisteredError,
  NotRegistered: NotRegisteredError,
  InvalidEncryptionKey: InvalidEncryptionKeyError,
  DepositBelowMinimum: DepositBelowMinimumError,
  InsufficientDeposit: InsufficientDepositError,
  ActiveJobsNeedDeposit: ActiveJobsNeedDepositError,
  NothingToWithdraw: NothingToWithdrawError,
  UnbondingLocked: UnbondingLockedError,
  OfferNotOpen: OfferNotOpenError,
  SpecTooLarge: SpecTooLargeError,
  UnknownJob: UnknownJobError,
  NotJobClient: NotJobClientError,
  NotJobParty: NotJobPartyError,
  JobIsCancelled: JobIsCancelledError,
  SettlementWindowOpen: SettlementWindowOpenError,
  SettlementWindowClosed: SettlementWindowClosedError,
  MalformedReports: MalformedReportsError,
  TooManyCertificates: TooManyCertificatesError,
  UnknownCertificate: UnknownCertificateError,
  InvalidCertificateSignature: InvalidCertificateSignatureError,
  CertificateExpired: CertificateExpiredError,
  NodeIsRevoked: NodeIsRevokedError,
  CertificateProviderMismatch: CertificateProviderMismatchError,
  CertificateRegionMismatch: CertificateRegionMismatchError,
  InvalidReportSignature: InvalidReportSignatureError,
  InvalidPeriod: InvalidPeriodError,
  StaleSequence: StaleSequenceError,
  ReportsNotConflicting: ReportsNotConflictingError,
  FeeOnTransferNotSupported: FeeOnTransferNotSupportedError,
  AmountTooLarge: AmountTooLargeError,
  OwnableUnauthorizedAccount: OwnableUnauthorizedAccountError,
  OwnableInvalidOwner: OwnableInvalidOwnerError,
  EnforcedPause: EnforcedPauseError,
  ExpectedPause: ExpectedPauseError,
  ReentrancyGuardReentrantCall: ReentrancyGuardReentrantCallError,
  SafeERC20FailedOperation: SafeERC20FailedOperationError,
  ERC20InsufficientAllowance: ERC20InsufficientAllowanceError,
  ERC20InsufficientBalance: ERC20InsufficientBalanceError,
  ERC20InvalidApprover: ERC20InvalidApproverError,
  ERC20InvalidReceiver: ERC20InvalidReceiverError,
  ERC20InvalidSender: ERC20InvalidSenderError,
  ERC20InvalidSpender: ERC20InvalidSpenderError,
  ERC2612ExpiredSignature: ERC2612ExpiredSignatureError,
  ERC2612InvalidSigner: ERC2612InvalidSignerError,
  InvalidAccountNonce: InvalidAccountNonceError,
  InvalidShortString: InvalidShortStringError,
  ECDSAInvalidSignature: ECDSAInvalidSignatureError,
  ECDSAInvalidSignatureLength: ECDSAInvalidSignatureLengthError,
  ECDSAInvalidSignatureS: ECDSAInvalidSignatureSError,
};

/**
 * Turns revert data into the typed error, or `undefined` when the selector is unknown.
 *
 * @example
 * ```ts
 * const error = decodeContractErrorData(client.interface, '0x…');
 * ```
 */
export function decodeContractErrorData(
  contractInterface: Interface,
  data: string,
  cause?: unknown,
): MuContractError | undefined {
  let description: ErrorDescription | null = null;
  try {
    description = contractInterface.parseError(data);
  } catch {
    description = null;
  }
  if (!description) return undefined;
  const errorClass = ERROR_CLASSES[description.name as MuContractErrorName];
  const args = namedArgs(description);
  if (errorClass) return new errorClass({ args, data, cause });
  // Error(string) and Panic(uint256), which ethers decodes itself.
  return new MuContractError(
    'CONTRACT_REVERTED',
    `The contract reverted: ${description.name}(${Object.values(args).join(', ')}).`,
    {
      errorName: description.name,
      args,
      data,
      cause,
    },
  );
}

/**
 * Wraps any error of an ethers call into a {@link MuContractError}: the custom error's own subclass
 * when the revert data decodes, else `CONTRACT_REVERTED` / `CONTRACT_USER_REJECTED` / `CONTRACT_CALL_FAILED`.
 * The ethers error is kept as `cause`.
 */
export function toMuContractError(error: unknown, contractInterface: Interface): MuContractError {
  if (error instanceof MuContractError) return error;
  const data = findRevertData(error);
  if (data && data.length >= 10) {
    const decoded = decodeContractErrorData(contractInterface, data, error);
    if (decoded) return decoded;
    return new MuContractError(
      'CONTRACT_REVERTED',
      'The contract reverted with an unknown error; check the contract address and version.',
      { data, cause: error },
    );
  }
  if (isError(error, 'ACTION_REJECTED')) {
    return new MuContractError('CONTRACT_USER_REJECTED', 'The wallet user rejected the request; ask again or stop.', {
      cause: error,
    });
  }
  if (isError(error, 'CALL_EXCEPTION')) {
    return new MuContractError(
      'CONTRACT_REVERTED',
      'The transaction reverted without a reason; check the arguments and the contract state.',
      { cause: error },
    );
  }
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new MuContractError('CONTRACT_CALL_FAILED', `The call to the Mu contracts failed: ${message}`, {
    cause: error,
  });
}

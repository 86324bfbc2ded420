// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title MuMarketplace
/// @notice The Mu protocol on chain: staked providers with per-region offers, prepaid jobs whose encrypted
/// spec travels in events, usage billed from EIP-712 reports signed by privately certified nodes, pull
/// payments, and slashing of equivocating nodes' providers.
/// @dev Storage is laid out for `settleUsage`: a report reads three job slots and writes two words (the escrow
/// and the (job, node) sequence); certificates are verified once per batch and credits are written once per
/// provider run and once per batch for the protocol fee.
contract MuMarketplace is Ownable2Step, Pausable, ReentrancyGuardTransient, EIP712 {
    using SafeERC20 for IERC20;

    // ---------------------------------------------------------------- types

    /// @notice Prices of one offer, each in token base units times 10^-PRICE_SCALE_DECIMALS.
    struct Prices {
        uint64 perRequest;
        uint64 perCpuMs;
        uint64 perMemoryMbMs;
        uint64 perKvRead;
        uint64 perKvWrite;
        uint64 perEgressByte;
    }

    /// @notice A node's authorization, signed off chain (EIP-712) by the provider's account.
    struct NodeCertificate {
        address node;
        address provider;
        uint32 region;
        uint64 notAfter;
    }

    /// @notice An ECDSA signature in EIP-2098 compact form (`vs` = yParity << 255 | s).
    struct Signature {
        bytes32 r;
        bytes32 vs;
    }

    /// @notice A certificate with the provider's signature over it.
    struct SignedCertificate {
        NodeCertificate certificate;
        Signature signature;
    }

    /// @notice One usage report exactly as signed by the node (EIP-712 `UsageReport`).
    struct UsageReport {
        uint64 jobId;
        address node;
        uint64 sequence;
        uint64 periodStart;
        uint64 periodEnd;
        uint64 requests;
        uint64 cpuMs;
        uint64 memoryMbMs;
        uint64 kvReads;
        uint64 kvWrites;
        uint64 egressBytes;
    }

    struct Provider {
        // slot 0
        uint128 deposit;
        uint128 unbonding;
        // slot 1
        uint64 unbondingReleaseAt;
        uint32 activeJobs;
        bool registered;
        // the compressed key as prefix (0x02/0x03) + x coordinate: one slot instead of a 33-byte `bytes` (three)
        bytes1 keyPrefix;
        // slot 2
        bytes32 keyX;
        string metadataURI;
    }

    struct Offer {
        string gatewayURL;
        Prices prices;
        bool open;
        bool listed;
    }

    /// @dev Slots 1-3 are everything `settleUsage` reads; slot 0 is only touched by client actions.
    struct Job {
        // slot 0
        address client;
        uint64 specBlock;
        bool exhausted;
        // slot 1
        address provider;
        uint32 region;
        uint64 closesAt;
        // slot 2
        uint64 perRequest;
        uint64 perCpuMs;
        uint64 perMemoryMbMs;
        uint64 perKvRead;
        // slot 3
        uint64 perKvWrite;
        uint64 perEgressByte;
        uint128 escrow;
        // slot 4
        uint128 shortfall;
        // slot 5
        bytes32 specHash;
    }

    /// @notice A region as returned by the reads.
    struct RegionView {
        uint32 id;
        string name;
    }

    /// @notice A provider as returned by the reads.
    struct ProviderView {
        address provider;
        bool registered;
        uint256 deposit;
        uint256 unbonding;
        uint64 unbondingReleaseAt;
        uint32 activeJobs;
        bytes encryptionKey;
        string metadataURI;
    }

    /// @notice An offer with its provider, as returned by the marketplace reads.
    struct OfferView {
        address provider;
        uint32 region;
        bool open;
        string gatewayURL;
        Prices prices;
        uint256 providerDeposit;
        bytes encryptionKey;
        string metadataURI;
    }

    /// @notice A job as returned by the reads.
    struct JobView {
        uint64 id;
        address client;
        address provider;
        uint32 region;
        uint256 escrow;
        uint256 shortfall;
        bool exhausted;
        bool cancelled;
        uint64 closesAt;
        bytes32 specHash;
        uint64 specBlock;
        Prices prices;
    }

    // ---------------------------------------------------------------- constants

    /// @notice Prices are token base units times 10^-PRICE_SCALE_DECIMALS; charges round down.
    uint8 public constant PRICE_SCALE_DECIMALS = 9;
    uint256 private constant PRICE_SCALE = 1e9;
    /// @notice Hard cap of the protocol fee, in basis points (10%).
    uint16 public constant MAX_PROTOCOL_FEE_BPS = 1000;
    /// @notice Upper bound of the unbonding delay.
    uint64 public constant MAX_UNBONDING_DELAY = 365 days;
    /// @notice Upper bound of the settlement window after a cancel.
    uint64 public constant MAX_SETTLEMENT_WINDOW = 90 days;
    /// @notice Size cap of an encrypted job spec, in bytes.
    uint256 public constant MAX_SPEC_BYTES = 16_384;
    /// @notice Size cap of metadata URIs, gateway URLs and region names, in bytes.
    uint256 public constant MAX_STRING_BYTES = 1024;
    /// @notice Bytes per packed report in `settleUsage` (see the README for the layout).
    uint256 public constant REPORT_SIZE = 145;
    /// @notice Largest page the paginated reads return.
    uint256 public constant MAX_PAGE = 100;

    bytes32 public constant NODE_CERTIFICATE_TYPEHASH =
        keccak256("NodeCertificate(address node,address provider,uint32 region,uint64 notAfter)");
    bytes32 public constant USAGE_REPORT_TYPEHASH = keccak256(
        "UsageReport(uint64 jobId,address node,uint64 sequence,uint64 periodStart,uint64 periodEnd,uint64 requests,uint64 cpuMs,uint64 memoryMbMs,uint64 kvReads,uint64 kvWrites,uint64 egressBytes)"
    );

    // ---------------------------------------------------------------- state

    /// @notice The payment token, fixed at deployment.
    IERC20 public immutable token;

    /// @notice Where protocol fees and the treasury share of slashes are paid by `withdrawFees`.
    address public treasury;
    /// @notice Protocol fee in basis points of every charge.
    uint16 public protocolFeeBps;
    /// @notice Share of a provider's stake slashed on proven equivocation, in basis points.
    uint16 public slashShareBps;
    /// @notice Share of a slash paid to the prover, in basis points; the rest goes to the treasury.
    uint16 public slashRewardBps;
    /// @notice Delay between `startUnbonding` and `withdrawDeposit`, in seconds.
    uint64 public unbondingDelay;
    /// @notice How long usage may still be settled after a cancel, in seconds.
    uint64 public settlementWindow;
    /// @notice The deposit a provider needs to receive jobs.
    uint256 public minProviderDeposit;
    /// @notice Protocol fees and slash shares accrued for the treasury.
    uint256 public protocolFees;
    /// @notice Withdrawable balances: provider earnings and slash rewards.
    mapping(address account => uint256) public credits;

    uint32 private _regionCount;
    mapping(uint32 region => string) private _regionNames;
    mapping(uint32 region => address[]) private _regionProviders;
    mapping(address provider => Provider) private _providers;
    mapping(address provider => mapping(uint32 region => Offer)) private _offers;
    mapping(address provider => mapping(address node => bool)) private _revoked;

    uint64 private _nextJobId = 1;
    mapping(uint256 jobId => Job) private _jobs;
    mapping(address client => uint64[]) private _clientJobs;
    mapping(address provider => uint64[]) private _providerJobs;
    /// @dev Last settled sequence per (job, node): key (jobId >> 2) << 160 | node, four uint64 lanes per word,
    /// lane jobId & 3.
    mapping(uint256 jobGroupAndNode => uint256) private _sequences;

    // ---------------------------------------------------------------- events

    event RegionCreated(uint32 indexed region, string name);
    event TreasurySet(address indexed treasury);
    event ProtocolFeeSet(uint16 bps);
    event MinProviderDepositSet(uint256 amount);
    event UnbondingDelaySet(uint64 delay);
    event SettlementWindowSet(uint64 window);
    event SlashingSet(uint16 shareBps, uint16 rewardBps);

    event ProviderRegistered(address indexed provider, uint256 deposit, bytes encryptionKey, string metadataURI);
    event ProviderUpdated(address indexed provider, bytes encryptionKey, string metadataURI);
    event DepositAdded(address indexed provider, uint256 amount, uint256 deposit);
    event UnbondingStarted(address indexed provider, uint256 amount, uint256 unbonding, uint64 releaseAt);
    event DepositWithdrawn(address indexed provider, uint256 amount);
    event OfferSet(address indexed provider, uint32 indexed region, string gatewayURL, Prices prices);
    event OfferClosed(address indexed provider, uint32 indexed region);
    event NodeRevoked(address indexed provider, address indexed node);

    event JobCreated(
        uint64 indexed jobId,
        address indexed client,
        address indexed provider,
        uint32 region,
        uint256 prepayment,
        Prices prices,
        bytes encryptedSpec
    );
    event JobUpdated(uint64 indexed jobId, bytes encryptedSpec);
    event JobToppedUp(uint64 indexed jobId, address indexed from, uint256 amount, uint256 escrow);
    event JobCancelled(uint64 indexed jobId, address indexed by, uint64 closesAt);
    event UsageSettled(uint64 indexed jobId, address indexed node, uint64 sequence, uint256 charged);
    event JobExhausted(uint64 indexed jobId, uint256 uncovered);
    event RefundClaimed(uint64 indexed jobId, address indexed client, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event FeesWithdrawn(address indexed treasury, uint256 amount);
    event ProviderSlashed(
        address indexed provider,
        address indexed node,
        address indexed prover,
        uint64 jobId,
        uint64 sequence,
        uint256 slashed,
        uint256 reward
    );

    // ---------------------------------------------------------------- errors

    error ZeroAddress();
    error ZeroAmount();
    error FeeTooHigh(uint256 bps, uint256 max);
    error BpsOutOfRange(uint256 bps);
    error DelayTooLong(uint256 delay, uint256 max);
    error StringTooLong(uint256 length, uint256 max);
    error EmptyString();
    error UnknownRegion(uint32 region);
    error AlreadyRegistered(address provider);
    error NotRegistered(address provider);
    error InvalidEncryptionKey(bytes key);
    error DepositBelowMinimum(uint256 deposit, uint256 minimum);
    error InsufficientDeposit(uint256 requested, uint256 available);
    error ActiveJobsNeedDeposit(uint256 activeJobs, uint256 remaining, uint256 minimum);
    error NothingToWithdraw(address account);
    error UnbondingLocked(uint64 releaseAt, uint256 timestamp);
    error OfferNotOpen(address provider, uint32 region);
    error SpecTooLarge(uint256 size, uint256 max);
    error UnknownJob(uint64 jobId);
    error NotJobClient(uint64 jobId, address caller);
    error NotJobParty(uint64 jobId, address caller);
    error JobIsCancelled(uint64 jobId);
    error SettlementWindowOpen(uint64 jobId, uint64 closesAt);
    error SettlementWindowClosed(uint64 jobId, uint64 closesAt);
    error MalformedReports(uint256 length);
    error TooManyCertificates(uint256 count, uint256 max);
    error UnknownCertificate(uint256 index, uint256 count);
    error InvalidCertificateSignature(address node, address provider);
    error CertificateExpired(address node, uint64 notAfter);
    error NodeIsRevoked(address provider, address node);
    error CertificateProviderMismatch(uint64 jobId, address jobProvider, address certificateProvider);
    error CertificateRegionMismatch(uint64 jobId, uint32 jobRegion, uint32 certificateRegion);
    error InvalidReportSignature(uint64 jobId, address node, uint64 sequence);
    error InvalidPeriod(uint64 periodStart, uint64 periodEnd);
    error StaleSequence(uint64 jobId, address node, uint64 sequence, uint64 lastSequence);
    error ReportsNotConflicting(uint64 jobId, uint64 sequence);
    error FeeOnTransferNotSupported(uint256 expected, uint256 received);
    error AmountTooLarge(uint256 amount, uint256 max);

    // ---------------------------------------------------------------- construction

    /// @notice Deploys the marketplace for one payment token.
    /// @param token_ The ERC-20 stablecoin every payment uses (fixed forever).
    /// @param initialOwner The admin (two-step ownership transfer afterwards).
    /// @param treasury_ Receiver of protocol fees.
    /// @param protocolFeeBps_ Protocol fee in basis points, at most MAX_PROTOCOL_FEE_BPS.
    /// @param minProviderDeposit_ Deposit a provider needs to receive jobs.
    /// @param unbondingDelay_ Seconds between starting unbonding and withdrawing.
    /// @param settlementWindow_ Seconds usage can still be settled after a cancel.
    /// @param slashShareBps_ Share of the stake slashed on equivocation.
    /// @param slashRewardBps_ Share of a slash paid to the prover.
    constructor(
        IERC20 token_,
        address initialOwner,
        address treasury_,
        uint16 protocolFeeBps_,
        uint256 minProviderDeposit_,
        uint64 unbondingDelay_,
        uint64 settlementWindow_,
        uint16 slashShareBps_,
        uint16 slashRewardBps_
    ) Ownable(initialOwner) EIP712("Mu", "1") {
        if (address(token_) == address(0)) revert ZeroAddress();
        token = token_;
        _setTreasury(treasury_);
        _setProtocolFee(protocolFeeBps_);
        _setMinProviderDeposit(minProviderDeposit_);
        _setUnbondingDelay(unbondingDelay_);
        _setSettlementWindow(settlementWindow_);
        _setSlashing(slashShareBps_, slashRewardBps_);
    }

    // ---------------------------------------------------------------- admin

    /// @notice Creates a region; ids are assigned sequentially from 1.
    /// @param name A non-empty name of at most MAX_STRING_BYTES bytes.
    /// @return region The new region id.
    function createRegion(string calldata name) external onlyOwner returns (uint32 region) {
        _checkString(bytes(name), false);
        region = ++_regionCount;
        _regionNames[region] = name;
        emit RegionCreated(region, name);
    }

    /// @notice Sets the treasury that `withdrawFees` pays.
    /// @param treasury_ A non-zero address.
    function setTreasury(address treasury_) external onlyOwner {
        _setTreasury(treasury_);
    }

    /// @notice Sets the protocol fee taken from every charge.
    /// @param bps Basis points, at most MAX_PROTOCOL_FEE_BPS.
    function setProtocolFee(uint16 bps) external onlyOwner {
        _setProtocolFee(bps);
    }

    /// @notice Sets the deposit a provider needs to receive new jobs and to keep active jobs while unbonding.
    /// @param amount Token base units.
    function setMinProviderDeposit(uint256 amount) external onlyOwner {
        _setMinProviderDeposit(amount);
    }

    /// @notice Sets the unbonding delay for future `startUnbonding` calls.
    /// @param delay Seconds, at most MAX_UNBONDING_DELAY.
    function setUnbondingDelay(uint64 delay) external onlyOwner {
        _setUnbondingDelay(delay);
    }

    /// @notice Sets the settlement window for future cancels.
    /// @param window Seconds, at most MAX_SETTLEMENT_WINDOW.
    function setSettlementWindow(uint64 window) external onlyOwner {
        _setSettlementWindow(window);
    }

    /// @notice Sets the slash share and the prover's reward share.
    /// @param shareBps Share of the provider's stake slashed, at most 10000.
    /// @param rewardBps Share of the slash paid to the prover, at most 10000.
    function setSlashing(uint16 shareBps, uint16 rewardBps) external onlyOwner {
        _setSlashing(shareBps, rewardBps);
    }

    /// @notice Stops new jobs (creation only: settlement, refunds and withdrawals keep working).
    function pause() external onlyOwner {
        _pause();
    }

    /// @notice Lets new jobs be created again.
    function unpause() external onlyOwner {
        _unpause();
    }

    // ---------------------------------------------------------------- providers

    /// @notice Registers the caller as a provider with a deposit pulled by transferFrom.
    /// @param encryptionKey A compressed secp256k1 public key (33 bytes, 0x02/0x03 prefix) job specs are encrypted to.
    /// @param metadataURI Where the provider describes itself (at most MAX_STRING_BYTES bytes).
    /// @param deposit At least `minProviderDeposit`.
    function registerProvider(bytes calldata encryptionKey, string calldata metadataURI, uint256 deposit)
        external
        nonReentrant
    {
        Provider storage provider = _providers[msg.sender];
        if (provider.registered) revert AlreadyRegistered(msg.sender);
        _checkKey(encryptionKey);
        _checkString(bytes(metadataURI), true);
        if (deposit < minProviderDeposit || deposit == 0) revert DepositBelowMinimum(deposit, minProviderDeposit);
        if (deposit > type(uint128).max) revert AmountTooLarge(deposit, type(uint128).max);
        provider.registered = true;
        provider.deposit = uint128(deposit);
        _storeKey(provider, encryptionKey);
        provider.metadataURI = metadataURI;
        emit ProviderRegistered(msg.sender, deposit, encryptionKey, metadataURI);
        _pull(msg.sender, deposit);
    }

    /// @notice Replaces the caller's encryption key and metadata URI (new jobs use the new key).
    /// @param encryptionKey A compressed secp256k1 public key (33 bytes).
    /// @param metadataURI At most MAX_STRING_BYTES bytes.
    function updateProvider(bytes calldata encryptionKey, string calldata metadataURI) external {
        Provider storage provider = _registered(msg.sender);
        _checkKey(encryptionKey);
        _checkString(bytes(metadataURI), true);
        _storeKey(provider, encryptionKey);
        provider.metadataURI = metadataURI;
        emit ProviderUpdated(msg.sender, encryptionKey, metadataURI);
    }

    /// @notice Adds to the caller's deposit.
    /// @param amount Token base units, pulled by transferFrom.
    function addDeposit(uint256 amount) external nonReentrant {
        Provider storage provider = _registered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint256 deposit = provider.deposit + amount;
        if (deposit > type(uint128).max) revert AmountTooLarge(deposit, type(uint128).max);
        provider.deposit = uint128(deposit);
        emit DepositAdded(msg.sender, amount, deposit);
        _pull(msg.sender, amount);
    }

    /// @notice Moves part of the deposit to unbonding; it can be withdrawn after `unbondingDelay` and stays
    /// slashable until then. Starting again adds to the amount and restarts the delay.
    /// @param amount At most the deposit; with active jobs, the deposit left must stay at the minimum.
    function startUnbonding(uint256 amount) external {
        Provider storage provider = _registered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint256 deposit = provider.deposit;
        if (amount > deposit) revert InsufficientDeposit(amount, deposit);
        uint256 remaining = deposit - amount;
        _checkBacking(provider.activeJobs, remaining);
        provider.deposit = uint128(remaining);
        uint256 unbonding = provider.unbonding + amount;
        provider.unbonding = uint128(unbonding);
        uint64 releaseAt = uint64(block.timestamp) + unbondingDelay;
        provider.unbondingReleaseAt = releaseAt;
        emit UnbondingStarted(msg.sender, amount, unbonding, releaseAt);
    }

    /// @notice Withdraws the unbonded amount once the delay has passed, if active jobs keep the minimum behind them.
    function withdrawDeposit() external nonReentrant {
        Provider storage provider = _registered(msg.sender);
        uint256 amount = provider.unbonding;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        if (block.timestamp < provider.unbondingReleaseAt) {
            revert UnbondingLocked(provider.unbondingReleaseAt, block.timestamp);
        }
        _checkBacking(provider.activeJobs, provider.deposit);
        provider.unbonding = 0;
        provider.unbondingReleaseAt = 0;
        emit DepositWithdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Opens (or updates) the caller's offer in a region; new jobs copy these prices.
    /// @param region An existing region id.
    /// @param gatewayURL Where the region's gateway answers (`{gatewayURL}/{jobId}/...`).
    /// @param prices The price schedule (token base units times 10^-PRICE_SCALE_DECIMALS).
    function setOffer(uint32 region, string calldata gatewayURL, Prices calldata prices) external {
        _registered(msg.sender);
        _checkRegion(region);
        _checkString(bytes(gatewayURL), false);
        Offer storage offer = _offers[msg.sender][region];
        if (!offer.listed) {
            offer.listed = true;
            _regionProviders[region].push(msg.sender);
        }
        offer.open = true;
        offer.gatewayURL = gatewayURL;
        offer.prices = prices;
        emit OfferSet(msg.sender, region, gatewayURL, prices);
    }

    /// @notice Closes the caller's offer in a region to new jobs (existing jobs keep running).
    /// @param region A region where the caller's offer is open.
    function closeOffer(uint32 region) external {
        Offer storage offer = _offers[msg.sender][region];
        if (!offer.open) revert OfferNotOpen(msg.sender, region);
        offer.open = false;
        emit OfferClosed(msg.sender, region);
    }

    /// @notice Revokes every certificate the caller signed for `node`, before they expire.
    /// @param node The node's key address.
    function revokeNode(address node) external {
        _registered(msg.sender);
        if (node == address(0)) revert ZeroAddress();
        if (_revoked[msg.sender][node]) revert NodeIsRevoked(msg.sender, node);
        _revoked[msg.sender][node] = true;
        emit NodeRevoked(msg.sender, node);
    }

    // ---------------------------------------------------------------- jobs

    /// @notice Creates a prepaid job; the prepayment is pulled by transferFrom and the offer's prices are locked.
    /// @param provider A registered provider with at least the minimum deposit.
    /// @param region A region where the provider's offer is open.
    /// @param encryptedSpec The job spec encrypted to the provider's key (opaque, at most MAX_SPEC_BYTES).
    /// @param prepayment Token base units put in escrow.
    /// @return jobId The new job id.
    function createJob(address provider, uint32 region, bytes calldata encryptedSpec, uint256 prepayment)
        external
        nonReentrant
        whenNotPaused
        returns (uint64 jobId)
    {
        jobId = _createJob(provider, region, encryptedSpec, prepayment);
    }

    /// @notice `createJob` with an ERC-2612 permit instead of a prior approve.
    /// @dev A failing permit is ignored when the allowance is already there (a front-run permit must not block).
    /// @param provider A registered provider with at least the minimum deposit.
    /// @param region A region where the provider's offer is open.
    /// @param encryptedSpec The encrypted job spec.
    /// @param prepayment Token base units put in escrow (the permit's value must cover it).
    /// @param deadline The permit deadline.
    /// @param v The permit signature's v.
    /// @param r The permit signature's r.
    /// @param s The permit signature's s.
    /// @return jobId The new job id.
    function createJobWithPermit(
        address provider,
        uint32 region,
        bytes calldata encryptedSpec,
        uint256 prepayment,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant whenNotPaused returns (uint64 jobId) {
        // solhint-disable-next-line no-empty-blocks
        try IERC20Permit(address(token)).permit(msg.sender, address(this), prepayment, deadline, v, r, s) {}
            catch {}
        jobId = _createJob(provider, region, encryptedSpec, prepayment);
    }

    /// @notice Adds to a job's escrow (anyone may pay); clears the exhausted flag.
    /// @param jobId A job that is not cancelled.
    /// @param amount Token base units, pulled by transferFrom.
    function topUp(uint64 jobId, uint256 amount) external nonReentrant {
        Job storage job = _job(jobId);
        if (job.closesAt != 0) revert JobIsCancelled(jobId);
        if (amount == 0) revert ZeroAmount();
        uint256 escrow = job.escrow + amount;
        if (escrow > type(uint128).max) revert AmountTooLarge(escrow, type(uint128).max);
        job.escrow = uint128(escrow);
        if (job.exhausted) job.exhausted = false;
        emit JobToppedUp(jobId, msg.sender, amount, escrow);
        _pull(msg.sender, amount);
    }

    /// @notice Replaces the job's encrypted spec (a new code version); nodes follow `JobUpdated`.
    /// @param jobId A job of the caller that is not cancelled.
    /// @param encryptedSpec The new encrypted spec.
    function updateJobSpec(uint64 jobId, bytes calldata encryptedSpec) external {
        Job storage job = _job(jobId);
        if (job.client != msg.sender) revert NotJobClient(jobId, msg.sender);
        if (job.closesAt != 0) revert JobIsCancelled(jobId);
        if (encryptedSpec.length > MAX_SPEC_BYTES) revert SpecTooLarge(encryptedSpec.length, MAX_SPEC_BYTES);
        job.specHash = keccak256(encryptedSpec);
        job.specBlock = uint64(block.number);
        emit JobUpdated(jobId, encryptedSpec);
    }

    /// @notice Cancels a job (its client or its provider); usage can still be settled for `settlementWindow`,
    /// then `claimRefund` returns the rest to the client.
    /// @param jobId A job that is not cancelled.
    function cancelJob(uint64 jobId) external {
        Job storage job = _job(jobId);
        if (msg.sender != job.client && msg.sender != job.provider) revert NotJobParty(jobId, msg.sender);
        if (job.closesAt != 0) revert JobIsCancelled(jobId);
        uint64 closesAt = uint64(block.timestamp) + settlementWindow;
        job.closesAt = closesAt;
        --_providers[job.provider].activeJobs;
        emit JobCancelled(jobId, msg.sender, closesAt);
    }

    /// @notice Pays the rest of a cancelled job's escrow to its client once the settlement window is over.
    /// @param jobId A cancelled job whose window has closed (anyone may call; the client is paid).
    function claimRefund(uint64 jobId) external nonReentrant {
        Job storage job = _job(jobId);
        uint64 closesAt = job.closesAt;
        if (closesAt == 0 || block.timestamp <= closesAt) revert SettlementWindowOpen(jobId, closesAt);
        uint256 amount = job.escrow;
        if (amount == 0) revert NothingToWithdraw(job.client);
        job.escrow = 0;
        emit RefundClaimed(jobId, job.client, amount);
        token.safeTransfer(job.client, amount);
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Settles a batch of usage reports; anyone may submit (nodes need no gas).
    /// @dev `reports` is REPORT_SIZE-byte records, big-endian: certificate index (uint8), jobId, sequence,
    /// periodStart, periodEnd, requests, cpuMs, memoryMbMs, kvReads, kvWrites, egressBytes (uint64 each),
    /// then the node's EIP-2098 signature r (32) and vs (32). The report's `node` is its certificate's node.
    /// Every certificate is verified once, whatever the number of its reports.
    /// @param certificates The certificates of the nodes that signed the reports (at most 256).
    /// @param reports The packed reports.
    function settleUsage(SignedCertificate[] calldata certificates, bytes calldata reports) external {
        uint256 count = reports.length / REPORT_SIZE;
        if (count == 0 || reports.length != count * REPORT_SIZE) revert MalformedReports(reports.length);
        uint256 certificateCount = certificates.length;
        if (certificateCount > 256) revert TooManyCertificates(certificateCount, 256);
        for (uint256 i; i < certificateCount; ++i) {
            _verifyCertificate(certificates[i]);
        }
        // One scratch buffer for the EIP-712 struct of every report: memory does not grow with the batch.
        uint256[12] memory buffer;
        buffer[0] = uint256(USAGE_REPORT_TYPEHASH);
        uint256 cursor;
        assembly ("memory-safe") {
            cursor := reports.offset
        }
        address currentProvider;
        uint256 pending;
        uint256 fees;
        uint256 feeBps = protocolFeeBps;
        for (uint256 i; i < count; ++i) {
            (address provider, uint256 charged) = _settleReport(certificates, cursor, buffer);
            if (provider != currentProvider) {
                fees += _creditProvider(currentProvider, pending, feeBps);
                currentProvider = provider;
                pending = 0;
            }
            pending += charged;
            unchecked {
                cursor += REPORT_SIZE;
            }
        }
        fees += _creditProvider(currentProvider, pending, feeBps);
        if (fees != 0) protocolFees += fees;
    }

    /// @notice Proves that a node signed two different reports for the same (job, sequence): slashes
    /// `slashShareBps` of its provider's stake, pays `slashRewardBps` of it to the caller and the rest to the
    /// treasury, and revokes the node.
    /// @param certificate The node's certificate, signed by the job's provider.
    /// @param first One report.
    /// @param firstSignature The node's signature over `first`.
    /// @param second A different report for the same job and sequence.
    /// @param secondSignature The node's signature over `second`.
    function proveEquivocation(
        SignedCertificate calldata certificate,
        UsageReport calldata first,
        Signature calldata firstSignature,
        UsageReport calldata second,
        Signature calldata secondSignature
    ) external {
        NodeCertificate calldata cert = certificate.certificate;
        _checkCertificateSignature(certificate);
        if (_revoked[cert.provider][cert.node]) revert NodeIsRevoked(cert.provider, cert.node);
        bytes32 firstDigest = hashUsageReport(first);
        bytes32 secondDigest = hashUsageReport(second);
        if (
            first.jobId != second.jobId || first.sequence != second.sequence || first.node != cert.node
                || second.node != cert.node || firstDigest == secondDigest
        ) revert ReportsNotConflicting(first.jobId, first.sequence);
        Job storage job = _job(first.jobId);
        if (job.provider != cert.provider) revert CertificateProviderMismatch(first.jobId, job.provider, cert.provider);
        _checkReportSignature(firstDigest, firstSignature, first);
        _checkReportSignature(secondDigest, secondSignature, second);

        _slash(cert.provider, cert.node, first.jobId, first.sequence);
    }

    // ---------------------------------------------------------------- withdrawals

    /// @notice Pays the caller's credits (provider earnings, slash rewards).
    function withdraw() external nonReentrant {
        uint256 amount = credits[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        credits[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Pays the accrued protocol fees to the treasury (anyone may call).
    function withdrawFees() external nonReentrant {
        uint256 amount = protocolFees;
        if (amount == 0) revert NothingToWithdraw(treasury);
        protocolFees = 0;
        emit FeesWithdrawn(treasury, amount);
        token.safeTransfer(treasury, amount);
    }

    // ---------------------------------------------------------------- reads

    /// @notice The number of regions (ids run from 1 to this).
    /// @return The region count.
    function regionCount() external view returns (uint32) {
        return _regionCount;
    }

    /// @notice A page of regions.
    /// @param offset Index of the first region (0 is region id 1).
    /// @param limit At most MAX_PAGE.
    /// @return page The regions.
    /// @return total The number of regions.
    function getRegions(uint256 offset, uint256 limit) external view returns (RegionView[] memory page, uint256 total) {
        total = _regionCount;
        uint256 length = _pageLength(offset, limit, total);
        page = new RegionView[](length);
        for (uint256 i; i < length; ++i) {
            uint32 id = uint32(offset + i + 1);
            page[i] = RegionView(id, _regionNames[id]);
        }
    }

    /// @notice One provider.
    /// @param provider The provider's account.
    /// @return The provider (registered = false when unknown).
    function getProvider(address provider) external view returns (ProviderView memory) {
        Provider storage p = _providers[provider];
        return ProviderView(
            provider,
            p.registered,
            p.deposit,
            p.unbonding,
            p.unbondingReleaseAt,
            p.activeJobs,
            _key(p),
            p.metadataURI
        );
    }

    /// @notice One provider's offer in a region.
    /// @param provider The provider's account.
    /// @param region The region id.
    /// @return The offer (empty gateway URL when none was ever set).
    function getOffer(address provider, uint32 region) public view returns (OfferView memory) {
        Offer storage offer = _offers[provider][region];
        Provider storage p = _providers[provider];
        return OfferView(
            provider, region, offer.open, offer.gatewayURL, offer.prices, p.deposit, _key(p), p.metadataURI
        );
    }

    /// @notice A page of the providers that ever made an offer in a region, with their offers (check `open`).
    /// @param region The region id.
    /// @param offset Index of the first provider.
    /// @param limit At most MAX_PAGE.
    /// @return page The offers.
    /// @return total The number of providers listed in the region.
    function getRegionOffers(uint32 region, uint256 offset, uint256 limit)
        external
        view
        returns (OfferView[] memory page, uint256 total)
    {
        address[] storage providers = _regionProviders[region];
        total = providers.length;
        uint256 length = _pageLength(offset, limit, total);
        page = new OfferView[](length);
        for (uint256 i; i < length; ++i) {
            page[i] = getOffer(providers[offset + i], region);
        }
    }

    /// @notice One job.
    /// @param jobId The job id.
    /// @return view_ The job.
    function getJob(uint64 jobId) external view returns (JobView memory view_) {
        Job storage job = _job(jobId);
        view_ = JobView({
            id: jobId,
            client: job.client,
            provider: job.provider,
            region: job.region,
            escrow: job.escrow,
            shortfall: job.shortfall,
            exhausted: job.exhausted,
            cancelled: job.closesAt != 0,
            closesAt: job.closesAt,
            specHash: job.specHash,
            specBlock: job.specBlock,
            prices: Prices(
                job.perRequest, job.perCpuMs, job.perMemoryMbMs, job.perKvRead, job.perKvWrite, job.perEgressByte
            )
        });
    }

    /// @notice The number of jobs created so far (ids run from 1 to this).
    /// @return The job count.
    function jobCount() external view returns (uint64) {
        return _nextJobId - 1;
    }

    /// @notice A page of a client's job ids, oldest first.
    /// @param client The client's account.
    /// @param offset Index of the first id.
    /// @param limit At most MAX_PAGE.
    /// @return page The job ids.
    /// @return total The client's job count.
    function getClientJobs(address client, uint256 offset, uint256 limit)
        external
        view
        returns (uint64[] memory page, uint256 total)
    {
        return _page(_clientJobs[client], offset, limit);
    }

    /// @notice A page of a provider's job ids, oldest first.
    /// @param provider The provider's account.
    /// @param offset Index of the first id.
    /// @param limit At most MAX_PAGE.
    /// @return page The job ids.
    /// @return total The provider's job count.
    function getProviderJobs(address provider, uint256 offset, uint256 limit)
        external
        view
        returns (uint64[] memory page, uint256 total)
    {
        return _page(_providerJobs[provider], offset, limit);
    }

    /// @notice The last settled sequence of a (job, node) pair (0 before the first report).
    /// @param jobId The job id.
    /// @param node The node's key address.
    /// @return The sequence.
    function lastSequence(uint64 jobId, address node) external view returns (uint64) {
        uint256 word = _sequences[((uint256(jobId) >> 2) << 160) | uint160(node)];
        return uint64(word >> ((uint256(jobId) & 3) << 6));
    }

    /// @notice Whether a provider revoked a node (or a slash did).
    /// @param provider The provider's account.
    /// @param node The node's key address.
    /// @return True when revoked.
    function isNodeRevoked(address provider, address node) external view returns (bool) {
        return _revoked[provider][node];
    }

    /// @notice The EIP-712 digest a provider signs for a certificate.
    /// @param certificate The certificate.
    /// @return The digest.
    function hashNodeCertificate(NodeCertificate calldata certificate) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(NODE_CERTIFICATE_TYPEHASH, certificate)));
    }

    /// @notice The EIP-712 digest a node signs for a usage report.
    /// @param report The report.
    /// @return The digest.
    function hashUsageReport(UsageReport calldata report) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(USAGE_REPORT_TYPEHASH, report)));
    }

    /// @notice The EIP-712 domain separator (name "Mu", version "1", this chain, this contract).
    /// @return The separator.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------- internals

    function _createJob(address providerAccount, uint32 region, bytes calldata encryptedSpec, uint256 prepayment)
        private
        returns (uint64 jobId)
    {
        Provider storage provider = _providers[providerAccount];
        if (!provider.registered) revert NotRegistered(providerAccount);
        uint256 minimum = minProviderDeposit;
        if (provider.deposit < minimum) revert DepositBelowMinimum(provider.deposit, minimum);
        Offer storage offer = _offers[providerAccount][region];
        if (!offer.open) revert OfferNotOpen(providerAccount, region);
        if (encryptedSpec.length > MAX_SPEC_BYTES) revert SpecTooLarge(encryptedSpec.length, MAX_SPEC_BYTES);
        if (prepayment > type(uint128).max) revert AmountTooLarge(prepayment, type(uint128).max);

        jobId = _nextJobId++;
        Prices memory prices = offer.prices;
        Job storage job = _jobs[jobId];
        job.client = msg.sender;
        job.specBlock = uint64(block.number);
        job.provider = providerAccount;
        job.region = region;
        job.perRequest = prices.perRequest;
        job.perCpuMs = prices.perCpuMs;
        job.perMemoryMbMs = prices.perMemoryMbMs;
        job.perKvRead = prices.perKvRead;
        job.perKvWrite = prices.perKvWrite;
        job.perEgressByte = prices.perEgressByte;
        job.escrow = uint128(prepayment);
        job.specHash = keccak256(encryptedSpec);
        ++provider.activeJobs;
        _clientJobs[msg.sender].push(jobId);
        _providerJobs[providerAccount].push(jobId);
        emit JobCreated(jobId, msg.sender, providerAccount, region, prepayment, prices, encryptedSpec);
        if (prepayment != 0) _pull(msg.sender, prepayment);
    }

    /// @dev Settles the report at calldata position `cursor`; returns its provider and the amount charged.
    function _settleReport(SignedCertificate[] calldata certificates, uint256 cursor, uint256[12] memory buffer)
        private
        returns (address provider, uint256 charged)
    {
        (Job storage job, uint64 jobId, address node, address jobProvider) =
            _decodeReport(certificates, cursor, buffer);
        provider = jobProvider;
        uint64 sequence = _checkReport(jobId, node, cursor, buffer);
        charged = _charge(job, jobId, buffer);
        emit UsageSettled(jobId, node, sequence, charged);
    }

    /// @dev Matches the record's certificate to its job and writes the EIP-712 struct into `buffer`.
    function _decodeReport(SignedCertificate[] calldata certificates, uint256 cursor, uint256[12] memory buffer)
        private
        view
        returns (Job storage job, uint64 jobId, address node, address provider)
    {
        uint256 certificateIndex;
        assembly ("memory-safe") {
            let word := calldataload(cursor)
            certificateIndex := shr(248, word)
            jobId := and(shr(184, word), 0xffffffffffffffff)
        }
        if (certificateIndex >= certificates.length) {
            revert UnknownCertificate(certificateIndex, certificates.length);
        }
        // The certificates were decoded and validated by _verifyCertificate: read their words directly.
        address certificateProvider;
        uint32 certificateRegion;
        assembly ("memory-safe") {
            let entry := add(certificates.offset, mul(certificateIndex, 0xc0))
            node := and(calldataload(entry), 0xffffffffffffffffffffffffffffffffffffffff)
            certificateProvider := and(calldataload(add(entry, 0x20)), 0xffffffffffffffffffffffffffffffffffffffff)
            certificateRegion := and(calldataload(add(entry, 0x40)), 0xffffffff)
        }
        job = _jobs[jobId];
        provider = job.provider;
        if (provider == address(0)) revert UnknownJob(jobId);
        if (provider != certificateProvider) revert CertificateProviderMismatch(jobId, provider, certificateProvider);
        if (job.region != certificateRegion) revert CertificateRegionMismatch(jobId, job.region, certificateRegion);
        uint64 closesAt = job.closesAt;
        if (closesAt != 0 && block.timestamp > closesAt) revert SettlementWindowClosed(jobId, closesAt);
        assembly ("memory-safe") {
            mstore(add(buffer, 0x20), jobId)
            mstore(add(buffer, 0x40), node)
            // sequence .. egressBytes: nine uint64 fields from byte 9 of the record (unrolled)
            mstore(add(buffer, 0x60), shr(192, calldataload(add(cursor, 9))))
            mstore(add(buffer, 0x80), shr(192, calldataload(add(cursor, 17))))
            mstore(add(buffer, 0xa0), shr(192, calldataload(add(cursor, 25))))
            mstore(add(buffer, 0xc0), shr(192, calldataload(add(cursor, 33))))
            mstore(add(buffer, 0xe0), shr(192, calldataload(add(cursor, 41))))
            mstore(add(buffer, 0x100), shr(192, calldataload(add(cursor, 49))))
            mstore(add(buffer, 0x120), shr(192, calldataload(add(cursor, 57))))
            mstore(add(buffer, 0x140), shr(192, calldataload(add(cursor, 65))))
            mstore(add(buffer, 0x160), shr(192, calldataload(add(cursor, 73))))
        }
    }

    /// @dev Checks the period, the node's signature and the sequence, then records the sequence.
    function _checkReport(uint64 jobId, address node, uint256 cursor, uint256[12] memory buffer)
        private
        returns (uint64 sequence)
    {
        sequence = uint64(buffer[3]);
        if (buffer[4] > buffer[5]) revert InvalidPeriod(uint64(buffer[4]), uint64(buffer[5]));
        bytes32 structHash;
        bytes32 r;
        bytes32 vs;
        assembly ("memory-safe") {
            structHash := keccak256(buffer, 384)
            r := calldataload(add(cursor, 81))
            vs := calldataload(add(cursor, 113))
        }
        if (_recover(_hashTypedDataV4(structHash), r, vs) != node) revert InvalidReportSignature(jobId, node, sequence);
        // Four jobs (ids sharing id >> 2) share a node's sequence word: a node's reports for neighbouring jobs
        // then touch one slot, not four.
        uint256 key = ((uint256(jobId) >> 2) << 160) | uint160(node);
        uint256 shift = (uint256(jobId) & 3) << 6;
        uint256 word = _sequences[key];
        uint64 last = uint64(word >> shift);
        if (sequence <= last) revert StaleSequence(jobId, node, sequence, last);
        _sequences[key] = (word & ~(uint256(type(uint64).max) << shift)) | (uint256(sequence) << shift);
    }

    /// @dev Counters and prices are uint64, so each product fits in 128 bits and the sum in 131: no overflow.
    function _charge(Job storage job, uint64 jobId, uint256[12] memory buffer) private returns (uint256 charged) {
        uint256 needed;
        unchecked {
            needed = (
                buffer[6] * job.perRequest + buffer[7] * job.perCpuMs + buffer[8] * job.perMemoryMbMs
                    + buffer[9] * job.perKvRead + buffer[10] * job.perKvWrite + buffer[11] * job.perEgressByte
            ) / PRICE_SCALE;
        }
        if (needed == 0) return 0;
        uint256 escrow = job.escrow;
        charged = needed;
        if (needed > escrow) {
            charged = escrow;
            uint256 uncovered = needed - escrow;
            uint256 shortfall = job.shortfall + uncovered;
            job.shortfall = shortfall > type(uint128).max ? type(uint128).max : uint128(shortfall);
            job.exhausted = true;
            emit JobExhausted(jobId, uncovered);
        }
        if (charged != 0) {
            unchecked {
                job.escrow = uint128(escrow - charged);
            }
        }
    }

    function _slash(address providerAccount, address node, uint64 jobId, uint64 sequence) private {
        _revoked[providerAccount][node] = true;
        emit NodeRevoked(providerAccount, node);
        Provider storage provider = _providers[providerAccount];
        uint256 deposit = provider.deposit;
        uint256 unbonding = provider.unbonding;
        uint256 slashed = (deposit + unbonding) * slashShareBps / 10_000;
        uint256 fromDeposit = slashed < deposit ? slashed : deposit;
        provider.deposit = uint128(deposit - fromDeposit);
        provider.unbonding = uint128(unbonding - (slashed - fromDeposit));
        uint256 reward = slashed * slashRewardBps / 10_000;
        credits[msg.sender] += reward;
        protocolFees += slashed - reward;
        emit ProviderSlashed(providerAccount, node, msg.sender, jobId, sequence, slashed, reward);
    }

    function _creditProvider(address provider, uint256 amount, uint256 feeBps) private returns (uint256 fee) {
        if (amount == 0) return 0;
        fee = amount * feeBps / 10_000;
        credits[provider] += amount - fee;
    }

    function _verifyCertificate(SignedCertificate calldata certificate) private view {
        NodeCertificate calldata cert = certificate.certificate;
        if (cert.node == address(0)) revert ZeroAddress();
        if (block.timestamp > cert.notAfter) revert CertificateExpired(cert.node, cert.notAfter);
        if (_revoked[cert.provider][cert.node]) revert NodeIsRevoked(cert.provider, cert.node);
        _checkCertificateSignature(certificate);
    }

    /// @dev ecrecover of an EIP-2098 signature without a memory allocation; address(0) when invalid (certified
    /// nodes are never address(0)). High-s signatures are refused, as in OpenZeppelin's ECDSA.
    function _recover(bytes32 digest, bytes32 r, bytes32 vs) private view returns (address signer) {
        assembly ("memory-safe") {
            let s := and(vs, 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff)
            if iszero(gt(s, 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0)) {
                let m := mload(0x40)
                mstore(m, digest)
                mstore(add(m, 0x20), add(shr(255, vs), 27))
                mstore(add(m, 0x40), r)
                mstore(add(m, 0x60), s)
                let ok := staticcall(gas(), 1, m, 0x80, 0x00, 0x20)
                signer := mul(mload(0x00), and(ok, eq(returndatasize(), 0x20)))
            }
        }
    }

    function _checkCertificateSignature(SignedCertificate calldata certificate) private view {
        NodeCertificate calldata cert = certificate.certificate;
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecover(
            hashNodeCertificate(cert), certificate.signature.r, certificate.signature.vs
        );
        if (error != ECDSA.RecoverError.NoError || signer != cert.provider || signer == address(0)) {
            revert InvalidCertificateSignature(cert.node, cert.provider);
        }
    }

    function _checkReportSignature(bytes32 digest, Signature calldata signature, UsageReport calldata report)
        private
        pure
    {
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecover(digest, signature.r, signature.vs);
        if (error != ECDSA.RecoverError.NoError || signer != report.node) {
            revert InvalidReportSignature(report.jobId, report.node, report.sequence);
        }
    }

    /// @dev Pulls exactly `amount`; a token that delivers less (fee on transfer) is rejected.
    function _pull(address from, uint256 amount) private {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert FeeOnTransferNotSupported(amount, received);
    }

    function _job(uint64 jobId) private view returns (Job storage job) {
        job = _jobs[jobId];
        if (job.provider == address(0)) revert UnknownJob(jobId);
    }

    function _registered(address account) private view returns (Provider storage provider) {
        provider = _providers[account];
        if (!provider.registered) revert NotRegistered(account);
    }

    function _checkBacking(uint256 activeJobs, uint256 remaining) private view {
        if (activeJobs != 0 && remaining < minProviderDeposit) {
            revert ActiveJobsNeedDeposit(activeJobs, remaining, minProviderDeposit);
        }
    }

    function _checkRegion(uint32 region) private view {
        if (region == 0 || region > _regionCount) revert UnknownRegion(region);
    }

    function _storeKey(Provider storage provider, bytes calldata key) private {
        provider.keyPrefix = key[0];
        provider.keyX = bytes32(key[1:33]);
    }

    function _key(Provider storage provider) private view returns (bytes memory) {
        return provider.registered ? abi.encodePacked(provider.keyPrefix, provider.keyX) : bytes("");
    }

    function _checkKey(bytes calldata key) private pure {
        if (key.length != 33 || (key[0] != 0x02 && key[0] != 0x03)) revert InvalidEncryptionKey(key);
    }

    function _checkString(bytes memory value, bool allowEmpty) private pure {
        if (value.length == 0 && !allowEmpty) revert EmptyString();
        if (value.length > MAX_STRING_BYTES) revert StringTooLong(value.length, MAX_STRING_BYTES);
    }

    function _pageLength(uint256 offset, uint256 limit, uint256 total) private pure returns (uint256) {
        if (offset >= total) return 0;
        uint256 left = total - offset;
        if (limit > MAX_PAGE) limit = MAX_PAGE;
        return left < limit ? left : limit;
    }

    function _page(uint64[] storage ids, uint256 offset, uint256 limit)
        private
        view
        returns (uint64[] memory page, uint256 total)
    {
        total = ids.length;
        uint256 length = _pageLength(offset, limit, total);
        page = new uint64[](length);
        for (uint256 i; i < length; ++i) {
            page[i] = ids[offset + i];
        }
    }

    function _setTreasury(address treasury_) private {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    function _setProtocolFee(uint16 bps) private {
        if (bps > MAX_PROTOCOL_FEE_BPS) revert FeeTooHigh(bps, MAX_PROTOCOL_FEE_BPS);
        protocolFeeBps = bps;
        emit ProtocolFeeSet(bps);
    }

    function _setMinProviderDeposit(uint256 amount) private {
        if (amount > type(uint128).max) revert AmountTooLarge(amount, type(uint128).max);
        minProviderDeposit = amount;
        emit MinProviderDepositSet(amount);
    }

    function _setUnbondingDelay(uint64 delay) private {
        if (delay > MAX_UNBONDING_DELAY) revert DelayTooLong(delay, MAX_UNBONDING_DELAY);
        unbondingDelay = delay;
        emit UnbondingDelaySet(delay);
    }

    function _setSettlementWindow(uint64 window) private {
        if (window > MAX_SETTLEMENT_WINDOW) revert DelayTooLong(window, MAX_SETTLEMENT_WINDOW);
        settlementWindow = window;
        emit SettlementWindowSet(window);
    }

    function _setSlashing(uint16 shareBps, uint16 rewardBps) private {
        if (shareBps > 10_000) revert BpsOutOfRange(shareBps);
        if (rewardBps > 10_000) revert BpsOutOfRange(rewardBps);
        slashShareBps = shareBps;
        slashRewardBps = rewardBps;
        emit SlashingSet(shareBps, rewardBps);
    }
}

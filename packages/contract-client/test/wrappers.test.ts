import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptOwnership,
  addDeposit,
  approveToken,
  buildSettlements,
  cancelJob,
  certifyNode,
  claimRefund,
  closeOffer,
  createJob,
  createMuClient,
  createRegion,
  decryptJobSpec,
  deployJob,
  findEvent,
  generateEncryptionKey,
  generateNodeKey,
  getClientJobs,
  getCredits,
  getJob,
  getMarketplaceConfig,
  getOffer,
  getProvider,
  getProviderJobs,
  getRegionOffers,
  getRegions,
  getTokenAddress,
  getTokenBalance,
  isNodeRevoked,
  mintTestToken,
  pauseMarketplace,
  proveEquivocation,
  revokeNode,
  setMinProviderDeposit,
  setOffer,
  setProtocolFee,
  setSettlementWindow,
  setSlashing,
  setTreasury,
  settleUsage,
  setUnbondingDelay,
  signPermit,
  signUsageReport,
  startUnbonding,
  topUpJob,
  transferOwnership,
  unpauseMarketplace,
  updateJobSpec,
  updateProvider,
  withdrawCredits,
  withdrawDeposit,
  withdrawFees,
} from '../src/index.js';
import { sampleSpec } from './fixtures/job-spec.js';
import { type Network, PRICES, startNetwork } from './fixtures/network.js';

let net: Network;
beforeAll(async () => {
  net = await startNetwork();
});
afterAll(async () => {
  await net?.anvil.stop();
});

const report = (jobId: bigint, sequence: bigint, requests = 1_000_000n) => ({
  jobId,
  sequence,
  periodStart: 1_700_000_000n,
  periodEnd: 1_700_000_060n,
  requests,
  cpuMs: 100n,
  memoryMbMs: 1_000n,
  kvReads: 1n,
  kvWrites: 1n,
  egressBytes: 1_000n,
});

describe('admin wrappers', () => {
  it('deploys with regions and reads the configuration', async () => {
    const config = await getMarketplaceConfig(net.client);
    expect(config).toMatchObject({
      owner: net.wallets.admin.address,
      token: net.mu.token,
      treasury: net.wallets.admin.address,
      protocolFeeBps: 250,
      settlementWindow: 3600n,
      unbondingDelay: 600n,
      paused: false,
      regionCount: 2,
      jobCount: 0n,
    });
    expect(net.mu.regions).toEqual([
      { id: 1, name: 'eu-west' },
      { id: 2, name: 'us-east' },
    ]);
    expect(net.mu.deployBlock).toBeGreaterThan(0);
  });

  it('creates regions and changes every setting', async () => {
    const { region, events } = await createRegion(net.admin, { name: 'ap-south' });
    expect(region).toBe(3);
    expect(events.map((event) => event.name)).toEqual(['RegionCreated']);
    expect((await getRegions(net.client)).items.map((item) => item.name)).toEqual(['eu-west', 'us-east', 'ap-south']);
    expect((await getRegions(net.client, { offset: 1, limit: 1 })).items).toEqual([{ id: 2, name: 'us-east' }]);
    await setTreasury(net.admin, { treasury: net.wallets.other.address });
    await setProtocolFee(net.admin, { bps: 500 });
    await setMinProviderDeposit(net.admin, { amount: 200_000_000n });
    await setUnbondingDelay(net.admin, { delay: 300 });
    await setSettlementWindow(net.admin, { window: 1800 });
    await setSlashing(net.admin, { shareBps: 2000, rewardBps: 4000 });
    expect(await getMarketplaceConfig(net.client)).toMatchObject({
      treasury: net.wallets.other.address,
      protocolFeeBps: 500,
      minProviderDeposit: 200_000_000n,
      unbondingDelay: 300n,
      settlementWindow: 1800n,
      slashShareBps: 2000,
      slashRewardBps: 4000,
    });
    await setTreasury(net.admin, { treasury: net.wallets.admin.address });
  });

  it('pauses and unpauses job creation', async () => {
    await pauseMarketplace(net.admin);
    expect((await getMarketplaceConfig(net.client)).paused).toBe(true);
    await expect(
      createJob(net.client, {
        provider: net.wallets.provider.address,
        region: 1,
        encryptedSpec: net.envelope(),
        prepayment: 1n,
      }),
    ).rejects.toMatchObject({ code: 'CONTRACT_ENFORCED_PAUSE' });
    await unpauseMarketplace(net.admin);
    expect((await getMarketplaceConfig(net.client)).paused).toBe(false);
  });

  it('transfers ownership in two steps', async () => {
    await transferOwnership(net.admin, { newOwner: net.wallets.other.address });
    expect((await getMarketplaceConfig(net.client)).pendingOwner).toBe(net.wallets.other.address);
    await acceptOwnership(net.other);
    expect((await getMarketplaceConfig(net.client)).owner).toBe(net.wallets.other.address);
    await transferOwnership(net.other, { newOwner: net.wallets.admin.address });
    await acceptOwnership(net.admin);
    expect((await getMarketplaceConfig(net.client)).owner).toBe(net.wallets.admin.address);
  });

  it('renounces ownership on a separate deployment', async () => {
    const { deployMu, renounceOwnership } = await import('../src/index.js');
    const other = await deployMu({ signer: net.wallets.other });
    await renounceOwnership(other.client);
    const config = await getMarketplaceConfig(other.client);
    expect(config.owner).toBe('0x0000000000000000000000000000000000000000');
    await expect(createRegion(other.client, { name: 'x' })).rejects.toMatchObject({
      code: 'CONTRACT_OWNABLE_UNAUTHORIZED_ACCOUNT',
    });
  });

  it('refuses writes from a read-only client before sending anything', async () => {
    const readOnly = createMuClient({ address: net.mu.marketplace, runner: net.anvil.provider });
    await expect(createRegion(readOnly, { name: 'x' })).rejects.toThrow(TypeError);
    expect((await getRegions(readOnly)).total).toBe(3n);
  });
});

describe('provider wrappers', () => {
  it('registers, updates, adds deposit and reads the provider back', async () => {
    const info = await getProvider(net.client, { provider: net.wallets.provider.address });
    expect(info).toMatchObject({ registered: true, deposit: 500_000_000n, encryptionKey: net.encryptionKey.publicKey });
    const newKey = generateEncryptionKey();
    await updateProvider(net.provider, { encryptionKey: newKey.publicKey, metadataURI: 'https://new.example' });
    await addDeposit(net.provider, { amount: 1_000_000n });
    expect(await getProvider(net.client, { provider: net.wallets.provider.address })).toMatchObject({
      deposit: 501_000_000n,
      encryptionKey: newKey.publicKey,
      metadataURI: 'https://new.example',
    });
    // Back to the key the fixtures encrypt to.
    await updateProvider(net.provider, {
      encryptionKey: net.encryptionKey.publicKey,
      metadataURI: 'https://provider.example',
    });
    expect(await getProvider(net.client, { provider: net.wallets.other.address })).toMatchObject({ registered: false });
  });

  it('checks the encryption key locally before sending', async () => {
    await expect(updateProvider(net.provider, { encryptionKey: '0x1234', metadataURI: '' })).rejects.toThrow(TypeError);
  });

  it('opens, lists and closes offers', async () => {
    await setOffer(net.provider, { region: 2, gatewayURL: 'https://us.example', prices: PRICES });
    const offer = await getOffer(net.client, { provider: net.wallets.provider.address, region: 2 });
    expect(offer).toMatchObject({ open: true, region: 2, gatewayURL: 'https://us.example', prices: PRICES });
    expect((await getRegionOffers(net.client, { region: 2 })).items.map((item) => item.provider)).toEqual([
      net.wallets.provider.address,
    ]);
    const { events } = await closeOffer(net.provider, { region: 2 });
    expect(events[0]).toMatchObject({
      name: 'OfferClosed',
      args: { provider: net.wallets.provider.address, region: 2 },
    });
    expect((await getOffer(net.client, { provider: net.wallets.provider.address, region: 2 })).open).toBe(false);
  });

  it('unbonds and withdraws the deposit after the delay', async () => {
    await startUnbonding(net.provider, { amount: 1_000_000n });
    await expect(withdrawDeposit(net.provider)).rejects.toMatchObject({ code: 'CONTRACT_UNBONDING_LOCKED' });
    await net.anvil.increaseTime(301);
    const before = await getTokenBalance(net.client, { account: net.wallets.provider.address });
    await withdrawDeposit(net.provider);
    expect(await getTokenBalance(net.client, { account: net.wallets.provider.address })).toBe(before + 1_000_000n);
  });
});

describe('job wrappers', () => {
  it('creates a job with approve, tops it up, updates its spec, cancels it and refunds the client', async () => {
    const { jobId, events } = await createJob(net.client, {
      provider: net.wallets.provider.address,
      region: 1,
      encryptedSpec: net.envelope(),
      prepayment: 10_000_000n,
    });
    expect(jobId).toBe(1n);
    const created = findEvent({ events }, 'JobCreated')!;
    expect(created.args).toMatchObject({
      jobId,
      client: net.wallets.client.address,
      region: 1,
      prepayment: 10_000_000n,
      prices: PRICES,
    });
    const spec = decryptJobSpec(created.args.encryptedSpec as string, net.encryptionKey.privateKey, {
      chainId: net.domain.chainId,
      contract: net.mu.marketplace,
      client: created.args.client as string,
      provider: created.args.provider as string,
    });
    expect(spec).toEqual(sampleSpec);

    await topUpJob(net.other, { jobId, amount: 5_000_000n }).catch(async () => {
      await approveToken(net.other, { amount: 5_000_000n });
      await topUpJob(net.other, { jobId, amount: 5_000_000n });
    });
    expect((await getJob(net.client, { jobId })).escrow).toBe(15_000_000n);
    await updateJobSpec(net.client, { jobId, encryptedSpec: net.envelope() });
    const { events: cancelEvents } = await cancelJob(net.client, { jobId });
    expect(cancelEvents[0]!.name).toBe('JobCancelled');
    const job = await getJob(net.client, { jobId });
    expect(job).toMatchObject({
      cancelled: true,
      client: net.wallets.client.address,
      provider: net.wallets.provider.address,
      region: 1,
    });
    await expect(claimRefund(net.client, { jobId })).rejects.toMatchObject({ code: 'CONTRACT_SETTLEMENT_WINDOW_OPEN' });
    await net.anvil.increaseTime(1801);
    const before = await getTokenBalance(net.client, { account: net.wallets.client.address });
    await claimRefund(net.other, { jobId });
    expect(await getTokenBalance(net.client, { account: net.wallets.client.address })).toBe(before + 15_000_000n);
    expect((await getClientJobs(net.client, { client: net.wallets.client.address })).items).toEqual([1n]);
    expect((await getProviderJobs(net.client, { provider: net.wallets.provider.address })).total).toBe(1n);
  });

  it('creates a job with an ERC-2612 permit, no approve needed', async () => {
    const payer = new Wallet(Wallet.createRandom().privateKey, net.anvil.provider);
    await net.anvil.provider.send('anvil_setBalance', [payer.address, '0xde0b6b3a7640000']);
    await mintTestToken(net.admin, { to: payer.address, amount: 3_000_000n });
    const payerClient = net.connect(payer);
    const { jobId } = await createJob(payerClient, {
      provider: net.wallets.provider.address,
      region: 1,
      encryptedSpec: net.envelope(),
      prepayment: 3_000_000n,
      permit: true,
    });
    expect((await getJob(net.client, { jobId })).escrow).toBe(3_000_000n);
    expect(await getTokenBalance(net.client, { account: payer.address })).toBe(0n);
  });

  it('reads the token address and signs permits; an expired permit leaves the job unpaid', async () => {
    expect(await getTokenAddress(net.client)).toBe(net.mu.token);
    const permit = await signPermit(net.client, { value: 5n, deadline: 4_000_000_000n });
    expect(permit).toMatchObject({ value: 5n, deadline: 4_000_000_000n });
    expect([27, 28]).toContain(permit.v);
    const payer = new Wallet(Wallet.createRandom().privateKey, net.anvil.provider);
    await net.anvil.provider.send('anvil_setBalance', [payer.address, '0xde0b6b3a7640000']);
    await mintTestToken(net.admin, { to: payer.address, amount: 10n });
    // createJobWithPermit ignores a failing permit (a front-run permit must not block), so the pull fails instead.
    await expect(
      createJob(net.connect(payer), {
        provider: net.wallets.provider.address,
        region: 1,
        encryptedSpec: net.envelope(),
        prepayment: 10n,
        permit: { deadline: 1n },
      }),
    ).rejects.toMatchObject({ code: 'CONTRACT_ERC20_INSUFFICIENT_ALLOWANCE' });
  });

  it('deployJob encrypts to the key published on chain and the provider opens it', async () => {
    const { jobId, events } = await deployJob(net.client, {
      provider: net.wallets.provider.address,
      region: 1,
      spec: sampleSpec,
      prepayment: 1_000_000n,
    });
    const created = findEvent({ events }, 'JobCreated')!;
    expect(created.args.jobId).toBe(jobId);
    expect(
      decryptJobSpec(created.args.encryptedSpec as string, net.encryptionKey.privateKey, {
        chainId: net.domain.chainId,
        contract: net.mu.marketplace,
        client: net.wallets.client.address,
        provider: net.wallets.provider.address,
      }),
    ).toEqual(sampleSpec);
  });

  it('deployJob refuses a provider that is not registered', async () => {
    await expect(
      deployJob(net.client, { provider: net.wallets.other.address, region: 1, spec: sampleSpec, prepayment: 1n }),
    ).rejects.toMatchObject({ code: 'CONTRACT_NOT_REGISTERED', args: { provider: net.wallets.other.address } });
  });

  it('refuses an envelope above the contract cap before sending', async () => {
    await expect(
      createJob(net.client, {
        provider: net.wallets.provider.address,
        region: 1,
        encryptedSpec: new Uint8Array(16_385),
        prepayment: 1n,
      }),
    ).rejects.toThrow(RangeError);
  });
});

describe('settlement, slashing and withdrawals', () => {
  it('pays the provider, withdraws credits and protocol fees, revokes a node and proves equivocation', async () => {
    const { jobId } = await createJob(net.client, {
      provider: net.wallets.provider.address,
      region: 1,
      encryptedSpec: net.envelope(),
      prepayment: 100_000_000n,
    });
    const signed = await signUsageReport(net.nodeKey, report(jobId, 1n), net.domain);
    const { settlements } = buildSettlements([signed], [net.certificate]);
    const { settled } = await settleUsage(net.other, settlements[0]!);
    const charged = settled[0]!.charged;
    const fee = (charged * 500n) / 10_000n;
    expect(await getCredits(net.client, { account: net.wallets.provider.address })).toBe(charged - fee);
    const before = await getTokenBalance(net.client, { account: net.wallets.provider.address });
    await withdrawCredits(net.provider);
    expect(await getTokenBalance(net.client, { account: net.wallets.provider.address })).toBe(before + charged - fee);
    expect((await getMarketplaceConfig(net.client)).protocolFees).toBe(fee);
    await withdrawFees(net.other);
    expect((await getMarketplaceConfig(net.client)).protocolFees).toBe(0n);

    const spare = generateNodeKey();
    await revokeNode(net.provider, { node: spare.address });
    expect(await isNodeRevoked(net.client, { provider: net.wallets.provider.address, node: spare.address })).toBe(true);

    const first = await signUsageReport(net.nodeKey, report(jobId, 2n, 10n), net.domain);
    const second = await signUsageReport(net.nodeKey, report(jobId, 2n, 99n), net.domain);
    const depositBefore = (await getProvider(net.client, { provider: net.wallets.provider.address })).deposit;
    const result = await proveEquivocation(net.other, { certificate: net.certificate, first, second });
    expect(result.events.map((event) => event.name)).toEqual(['NodeRevoked', 'ProviderSlashed']);
    const slashed = result.events[1]!.args.slashed as bigint;
    expect(slashed).toBeGreaterThan(0n);
    expect((await getProvider(net.client, { provider: net.wallets.provider.address })).deposit).toBe(
      depositBefore - slashed,
    );
    expect(await isNodeRevoked(net.client, { provider: net.wallets.provider.address, node: net.nodeKey.address })).toBe(
      true,
    );
    expect(await getCredits(net.client, { account: net.wallets.other.address })).toBe(result.events[1]!.args.reward);
  });

  it('certifies nodes per region', async () => {
    const node = generateNodeKey();
    const signed = await certifyNode(
      net.wallets.provider,
      { node: node.address, region: 2, notAfter: 4_000_000_000 },
      net.domain,
    );
    expect(signed.certificate.region).toBe(2);
  });
});

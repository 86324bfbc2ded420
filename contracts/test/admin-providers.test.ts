import { type Contract, ContractFactory, id, Wallet } from 'ethers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deployMu, type MuDeployment, MuMarketplaceAbi, MuMarketplaceBytecode } from '../src/index.js';
import { type Chain, startAnvil } from './helpers/chain.js';
import {
  createJob,
  encryptionKey,
  events,
  expectRevert,
  fund,
  MIN_DEPOSIT,
  ONE,
  prices,
  read,
  registerProvider,
  send,
  UNBONDING,
} from './helpers/mu.js';

let chain: Chain;
let mu: MuDeployment;
let snapshot: string;
const owner = () => chain.wallets[0]!;
const stranger = () => chain.wallets[6]!;
const providerWallet = () => chain.wallets[2]!;
const client = () => chain.wallets[4]!;
const as = (wallet: Wallet | ReturnType<typeof owner>) => mu.marketplace.connect(wallet) as Contract;

beforeAll(async () => {
  chain = await startAnvil({ accounts: 8 });
  mu = await deployMu(owner(), { treasury: chain.addresses[1]!, regions: ['eu-west', 'us-east'] });
  snapshot = await chain.snapshot();
});

beforeEach(async () => {
  await chain.revert(snapshot);
  snapshot = await chain.snapshot();
});

afterAll(async () => {
  await chain?.stop();
});

describe('deployment', () => {
  it('fixes the token and the configuration given to the constructor', async () => {
    expect(await read(mu.marketplace, 'token')).toBe(mu.tokenAddress);
    expect(await read(mu.marketplace, 'owner')).toBe(owner().address);
    expect(await read(mu.marketplace, 'treasury')).toBe(chain.addresses[1]);
    expect(await read(mu.marketplace, 'protocolFeeBps')).toBe(250n);
    expect(await read(mu.marketplace, 'minProviderDeposit')).toBe(MIN_DEPOSIT);
    expect(await read(mu.marketplace, 'unbondingDelay')).toBe(UNBONDING);
    expect(await read(mu.marketplace, 'settlementWindow')).toBe(86_400n);
    expect(await read(mu.marketplace, 'slashShareBps')).toBe(1000n);
    expect(await read(mu.marketplace, 'slashRewardBps')).toBe(5000n);
    expect(await read(mu.marketplace, 'PRICE_SCALE_DECIMALS')).toBe(9n);
    expect(await read(mu.token, 'decimals')).toBe(6n);
    const [, name, version, chainId, verifyingContract] = await read<unknown[]>(mu.marketplace, 'eip712Domain');
    expect([name, version, chainId, verifyingContract]).toEqual(['Mu', '1', mu.chainId, mu.marketplaceAddress]);
  });

  it('rejects a bad constructor configuration with a custom error', async () => {
    const factory = new ContractFactory(MuMarketplaceAbi, MuMarketplaceBytecode, owner());
    const ok = [mu.tokenAddress, owner().address, owner().address, 250, MIN_DEPOSIT, UNBONDING, 86_400n, 1000, 5000];
    const cases: [number, unknown, string][] = [
      [0, '0x0000000000000000000000000000000000000000', 'ZeroAddress'],
      [1, '0x0000000000000000000000000000000000000000', 'OwnableInvalidOwner'],
      [2, '0x0000000000000000000000000000000000000000', 'ZeroAddress'],
      [3, 1001, 'FeeTooHigh'],
      [4, 1n << 128n, 'AmountTooLarge'],
      [5, 366n * 86_400n, 'DelayTooLong'],
      [6, 91n * 86_400n, 'DelayTooLong'],
      [7, 10_001, 'BpsOutOfRange'],
      [8, 10_001, 'BpsOutOfRange'],
    ];
    for (const [index, value, error] of cases) {
      const args: unknown[] = [...ok];
      args[index] = value;
      await expectRevert(factory.deploy(...args), error);
    }
  });
});

describe('admin', () => {
  it('creates regions with sequential ids and pages through them', async () => {
    const receipt = await send(mu.marketplace, 'createRegion', 'ap-south');
    expect(events(mu.marketplace, receipt, 'RegionCreated')).toEqual([{ region: 3n, name: 'ap-south' }]);
    expect(await read(mu.marketplace, 'regionCount')).toBe(3n);
    const [page, total] = await read<[{ id: bigint; name: string }[], bigint]>(mu.marketplace, 'getRegions', 1, 5);
    expect(total).toBe(3n);
    expect(page.map((region) => [region.id, region.name])).toEqual([
      [2n, 'us-east'],
      [3n, 'ap-south'],
    ]);
    const [empty] = await read<[unknown[]]>(mu.marketplace, 'getRegions', 9, 5);
    expect(empty).toEqual([]);
    await expectRevert(send(mu.marketplace, 'createRegion', ''), 'EmptyString');
    await expectRevert(send(mu.marketplace, 'createRegion', 'x'.repeat(1025)), 'StringTooLong', [1025n, 1024n]);
  });

  it('lets only the owner change settings, within their caps', async () => {
    const settings: [string, unknown[], unknown[] | null, string | null][] = [
      ['setTreasury', [stranger().address], ['0x0000000000000000000000000000000000000000'], 'ZeroAddress'],
      ['setProtocolFee', [1000], [1001], 'FeeTooHigh'],
      ['setMinProviderDeposit', [5n], [1n << 128n], 'AmountTooLarge'],
      ['setUnbondingDelay', [60n], [366n * 86_400n], 'DelayTooLong'],
      ['setSettlementWindow', [60n], [91n * 86_400n], 'DelayTooLong'],
      ['setSlashing', [100, 200], [10_001, 0], 'BpsOutOfRange'],
      ['createRegion', ['x'], null, null],
      ['pause', [], null, null],
    ];
    for (const [method, good, bad, error] of settings) {
      await expectRevert(send(as(stranger()), method, ...good), 'OwnableUnauthorizedAccount', [stranger().address]);
      if (bad && error) await expectRevert(send(mu.marketplace, method, ...bad), error);
      await send(mu.marketplace, method, ...good);
    }
    await expectRevert(send(mu.marketplace, 'setSlashing', 0, 10_001), 'BpsOutOfRange', [10_001n]);
    expect(await read(mu.marketplace, 'treasury')).toBe(stranger().address);
    expect(await read(mu.marketplace, 'protocolFeeBps')).toBe(1000n);
    expect(await read(mu.marketplace, 'minProviderDeposit')).toBe(5n);
    expect(await read(mu.marketplace, 'unbondingDelay')).toBe(60n);
    expect(await read(mu.marketplace, 'settlementWindow')).toBe(60n);
    expect(await read(mu.marketplace, 'slashShareBps')).toBe(100n);
    expect(await read(mu.marketplace, 'paused')).toBe(true);
    await expectRevert(send(mu.marketplace, 'pause'), 'EnforcedPause');
    await expectRevert(send(as(stranger()), 'unpause'), 'OwnableUnauthorizedAccount');
    await send(mu.marketplace, 'unpause');
    await expectRevert(send(mu.marketplace, 'unpause'), 'ExpectedPause');
  });

  it('transfers ownership in two steps', async () => {
    await expectRevert(send(as(stranger()), 'transferOwnership', stranger().address), 'OwnableUnauthorizedAccount');
    await send(mu.marketplace, 'transferOwnership', stranger().address);
    expect(await read(mu.marketplace, 'owner')).toBe(owner().address);
    await expectRevert(send(as(client()), 'acceptOwnership'), 'OwnableUnauthorizedAccount', [client().address]);
    await send(as(stranger()), 'acceptOwnership');
    expect(await read(mu.marketplace, 'owner')).toBe(stranger().address);
  });

  it('pauses new jobs only: settlement inputs, refunds and withdrawals keep working', async () => {
    await registerProvider(mu, providerWallet());
    const jobId = await createJob(mu, client(), providerWallet().address);
    await send(mu.marketplace, 'pause');
    await fund(mu, client(), ONE);
    await expectRevert(send(as(client()), 'createJob', providerWallet().address, 1, '0x', ONE), 'EnforcedPause');
    await send(as(client()), 'topUp', jobId, ONE);
    await send(as(client()), 'cancelJob', jobId);
    await chain.increaseTime(86_401);
    await send(as(client()), 'claimRefund', jobId);
    await send(as(providerWallet()), 'startUnbonding', MIN_DEPOSIT);
    await chain.increaseTime(UNBONDING);
    await send(as(providerWallet()), 'withdrawDeposit');
    expect(await read(mu.token, 'balanceOf', mu.marketplaceAddress)).toBe(0n);
  });
});

describe('providers', () => {
  it('registers with a deposit, a compressed key and a metadata URI', async () => {
    await fund(mu, providerWallet(), MIN_DEPOSIT);
    const receipt = await send(
      as(providerWallet()),
      'registerProvider',
      encryptionKey(providerWallet()),
      'ipfs://provider',
      MIN_DEPOSIT,
    );
    expect(events(mu.marketplace, receipt, 'ProviderRegistered')).toEqual([
      {
        provider: providerWallet().address,
        deposit: MIN_DEPOSIT,
        encryptionKey: encryptionKey(providerWallet()).toLowerCase(),
        metadataURI: 'ipfs://provider',
      },
    ]);
    const provider = await read<Record<string, unknown>>(mu.marketplace, 'getProvider', providerWallet().address);
    expect(provider.registered).toBe(true);
    expect(provider.deposit).toBe(MIN_DEPOSIT);
    expect(await read(mu.token, 'balanceOf', mu.marketplaceAddress)).toBe(MIN_DEPOSIT);
  });

  it('refuses bad registrations', async () => {
    const key = encryptionKey(providerWallet());
    const marketplace = as(providerWallet());
    await fund(mu, providerWallet(), MIN_DEPOSIT);
    await expectRevert(send(marketplace, 'registerProvider', `${key}00`, '', MIN_DEPOSIT), 'InvalidEncryptionKey');
    await expectRevert(
      send(marketplace, 'registerProvider', `0x04${key.slice(4)}`, '', MIN_DEPOSIT),
      'InvalidEncryptionKey',
    );
    await expectRevert(send(marketplace, 'registerProvider', key, 'x'.repeat(1025), MIN_DEPOSIT), 'StringTooLong');
    await expectRevert(send(marketplace, 'registerProvider', key, '', MIN_DEPOSIT - 1n), 'DepositBelowMinimum', [
      MIN_DEPOSIT - 1n,
      MIN_DEPOSIT,
    ]);
    await expectRevert(send(marketplace, 'registerProvider', key, '', 1n << 128n), 'AmountTooLarge');
    await expectRevert(send(marketplace, 'registerProvider', key, '', MIN_DEPOSIT + 1n), 'ERC20InsufficientAllowance');
    // a zero deposit is refused even when the minimum is zero
    await send(mu.marketplace, 'setMinProviderDeposit', 0n);
    await expectRevert(send(marketplace, 'registerProvider', key, '', 0n), 'DepositBelowMinimum', [0n, 0n]);
    await send(marketplace, 'registerProvider', key, '', MIN_DEPOSIT);
    await expectRevert(send(marketplace, 'registerProvider', key, '', MIN_DEPOSIT), 'AlreadyRegistered', [
      providerWallet().address,
    ]);
  });

  it('updates key and metadata, tops up the deposit', async () => {
    await registerProvider(mu, providerWallet());
    const newKey = encryptionKey(stranger());
    await send(as(providerWallet()), 'updateProvider', newKey, 'ipfs://v2');
    await fund(mu, providerWallet(), 5n * ONE);
    const receipt = await send(as(providerWallet()), 'addDeposit', 5n * ONE);
    expect(events(mu.marketplace, receipt, 'DepositAdded')[0]).toMatchObject({ deposit: MIN_DEPOSIT + 5n * ONE });
    const provider = await read<Record<string, unknown>>(mu.marketplace, 'getProvider', providerWallet().address);
    expect(provider.encryptionKey).toBe(newKey.toLowerCase());
    expect(provider.metadataURI).toBe('ipfs://v2');
    expect(provider.deposit).toBe(MIN_DEPOSIT + 5n * ONE);
    await expectRevert(send(as(providerWallet()), 'updateProvider', '0x02', ''), 'InvalidEncryptionKey');
    await expectRevert(send(as(providerWallet()), 'updateProvider', newKey, 'x'.repeat(1025)), 'StringTooLong');
    await expectRevert(send(as(providerWallet()), 'addDeposit', 0), 'ZeroAmount');
    await expectRevert(send(as(providerWallet()), 'addDeposit', (1n << 128n) - MIN_DEPOSIT), 'AmountTooLarge');
    for (const [method, args] of [
      ['updateProvider', [newKey, '']],
      ['addDeposit', [1n]],
      ['startUnbonding', [1n]],
      ['withdrawDeposit', []],
      ['setOffer', [1, 'https://gw', prices()]],
      ['revokeNode', [stranger().address]],
    ] as const) {
      await expectRevert(send(as(stranger()), method, ...args), 'NotRegistered', [stranger().address]);
    }
  });

  it('unbonds after the delay, never leaving active jobs without the minimum deposit', async () => {
    await registerProvider(mu, providerWallet(), 1, prices(), MIN_DEPOSIT + 10n * ONE);
    const jobId = await createJob(mu, client(), providerWallet().address);
    const marketplace = as(providerWallet());
    await expectRevert(send(marketplace, 'startUnbonding', 0), 'ZeroAmount');
    await expectRevert(send(marketplace, 'startUnbonding', MIN_DEPOSIT + 10n * ONE + 1n), 'InsufficientDeposit');
    await expectRevert(send(marketplace, 'startUnbonding', 10n * ONE + 1n), 'ActiveJobsNeedDeposit', [
      1n,
      MIN_DEPOSIT - 1n,
      MIN_DEPOSIT,
    ]);
    await expectRevert(send(marketplace, 'withdrawDeposit'), 'NothingToWithdraw', [providerWallet().address]);
    const receipt = await send(marketplace, 'startUnbonding', 10n * ONE);
    const [started] = events(mu.marketplace, receipt, 'UnbondingStarted');
    await expectRevert(send(marketplace, 'withdrawDeposit'), 'UnbondingLocked');
    await chain.increaseTime(UNBONDING);
    // the admin raised the minimum meanwhile: the active job must stay backed
    await send(mu.marketplace, 'setMinProviderDeposit', MIN_DEPOSIT + 1n);
    await expectRevert(send(marketplace, 'withdrawDeposit'), 'ActiveJobsNeedDeposit');
    await send(mu.marketplace, 'setMinProviderDeposit', MIN_DEPOSIT);
    const before = await read<bigint>(mu.token, 'balanceOf', providerWallet().address);
    await send(marketplace, 'withdrawDeposit');
    expect((await read<bigint>(mu.token, 'balanceOf', providerWallet().address)) - before).toBe(10n * ONE);
    expect(started!.releaseAt).toBeGreaterThan(0n);
    // once its jobs are cancelled the provider may leave entirely
    await send(marketplace, 'cancelJob', jobId);
    await send(marketplace, 'startUnbonding', MIN_DEPOSIT);
    await chain.increaseTime(UNBONDING);
    await send(marketplace, 'withdrawDeposit');
    const provider = await read<Record<string, unknown>>(mu.marketplace, 'getProvider', providerWallet().address);
    expect([provider.deposit, provider.unbonding, provider.activeJobs]).toEqual([0n, 0n, 0n]);
    await fund(mu, client(), ONE);
    await expectRevert(send(as(client()), 'createJob', providerWallet().address, 1, '0x', ONE), 'DepositBelowMinimum', [
      0n,
      MIN_DEPOSIT,
    ]);
  });

  it('opens, updates and closes offers per region, listed with the provider in the region reads', async () => {
    await registerProvider(mu, providerWallet());
    const marketplace = as(providerWallet());
    await send(marketplace, 'setOffer', 1, 'https://gw2', prices({ perRequest: 7n }));
    await send(marketplace, 'setOffer', 2, 'https://us', prices());
    const [page, total] = await read<[Record<string, unknown>[], bigint]>(mu.marketplace, 'getRegionOffers', 1, 0, 10);
    expect(total).toBe(1n);
    const offer = page[0]!;
    expect([offer.provider, offer.region, offer.open, offer.gatewayURL]).toEqual([
      providerWallet().address,
      1n,
      true,
      'https://gw2',
    ]);
    expect((page[0]!.prices as { perRequest: bigint }).perRequest).toBe(7n);
    expect(page[0]!.providerDeposit).toBe(MIN_DEPOSIT);
    const receipt = await send(marketplace, 'closeOffer', 1);
    expect(events(mu.marketplace, receipt, 'OfferClosed')).toEqual([
      { provider: providerWallet().address, region: 1n },
    ]);
    expect((await read<Record<string, unknown>>(mu.marketplace, 'getOffer', providerWallet().address, 1)).open).toBe(
      false,
    );
    await expectRevert(send(marketplace, 'closeOffer', 1), 'OfferNotOpen', [providerWallet().address, 1n]);
    await fund(mu, client(), ONE);
    await expectRevert(send(as(client()), 'createJob', providerWallet().address, 1, '0x', ONE), 'OfferNotOpen');
    // re-opening does not list the provider twice
    await send(marketplace, 'setOffer', 1, 'https://gw3', prices());
    expect((await read<[unknown[], bigint]>(mu.marketplace, 'getRegionOffers', 1, 0, 10))[1]).toBe(1n);
    await expectRevert(send(marketplace, 'setOffer', 0, 'https://gw', prices()), 'UnknownRegion', [0n]);
    await expectRevert(send(marketplace, 'setOffer', 3, 'https://gw', prices()), 'UnknownRegion', [3n]);
    await expectRevert(send(marketplace, 'setOffer', 1, '', prices()), 'EmptyString');
    await expectRevert(send(marketplace, 'setOffer', 1, 'x'.repeat(1025), prices()), 'StringTooLong');
  });

  it('revokes a node key once', async () => {
    await registerProvider(mu, providerWallet());
    const node = new Wallet(id('node')).address;
    const receipt = await send(as(providerWallet()), 'revokeNode', node);
    expect(events(mu.marketplace, receipt, 'NodeRevoked')).toEqual([{ provider: providerWallet().address, node }]);
    expect(await read(mu.marketplace, 'isNodeRevoked', providerWallet().address, node)).toBe(true);
    await expectRevert(send(as(providerWallet()), 'revokeNode', node), 'NodeIsRevoked');
    await expectRevert(
      send(as(providerWallet()), 'revokeNode', '0x0000000000000000000000000000000000000000'),
      'ZeroAddress',
    );
  });
});

import { type Contract, Interface, id, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployMu, encodeUsageReports, MuMarketplaceAbi } from '../src/index.js';
import { type Chain, startAnvil } from './helpers/chain.js';
import {
  deployFixture,
  domainOf,
  encryptionKey,
  expectRevert,
  fund,
  MIN_DEPOSIT,
  ONE,
  read,
  registerProvider,
  send,
  signCertificate,
  signReport,
  usage,
  WINDOW,
} from './helpers/mu.js';

let chain: Chain;
const marketplaceInterface = new Interface(MuMarketplaceAbi);
const reentrantCall = new Interface(['error ReentrancyGuardReentrantCall()']).getError(
  'ReentrancyGuardReentrantCall',
)!.selector;

beforeAll(async () => {
  chain = await startAnvil({ accounts: 6 });
});

afterAll(async () => {
  await chain?.stop();
});

describe('a malicious ERC-20 with transfer hooks', () => {
  it('cannot re-enter withdrawals or refunds: each pays once and the books still balance', async () => {
    const [owner, , providerWallet, , stranger] = chain.wallets;
    const token = await deployFixture(owner!, 'ReentrantToken');
    const tokenAddress = await token.getAddress();
    const mu = await deployMu(owner!, { token: tokenAddress, treasury: chain.addresses[1]!, regions: ['eu-west'] });
    await registerProvider(mu, providerWallet!);
    // the token contract itself is the client of a job
    await send(token, 'mint', tokenAddress, 10n * ONE);
    await send(
      token,
      'execute',
      tokenAddress,
      token.interface.encodeFunctionData('approve', [mu.marketplaceAddress, 10n * ONE]),
    );
    await send(
      token,
      'execute',
      mu.marketplaceAddress,
      marketplaceInterface.encodeFunctionData('createJob', [providerWallet!.address, 1, '0x', 10n * ONE]),
    );
    const node = new Wallet(id('node'));
    const domain = domainOf(mu);
    const certificate = await signCertificate(providerWallet!, domain, {
      node: node.address,
      provider: providerWallet!.address,
      region: 1,
      notAfter: 4_000_000_000n,
    });
    const report = usage(1n, node.address, 1n);
    await send(
      mu.marketplace,
      'settleUsage',
      [certificate],
      encodeUsageReports([{ certificateIndex: 0, report, signature: await signReport(node, domain, report) }]),
    );
    const credit = await read<bigint>(mu.marketplace, 'credits', providerWallet!.address);
    expect(credit).toBeGreaterThan(0n);

    // 1. the provider withdraws; the token's hook tries to withdraw again in the middle of the transfer
    await send(token, 'setHook', mu.marketplaceAddress, marketplaceInterface.encodeFunctionData('withdraw'));
    const before = await read<bigint>(token, 'balanceOf', providerWallet!.address);
    await send(mu.marketplace.connect(providerWallet!) as Contract, 'withdraw');
    expect(await read(token, 'lastHookSucceeded')).toBe(false);
    expect(await read(token, 'lastHookResult')).toBe(reentrantCall);
    expect((await read<bigint>(token, 'balanceOf', providerWallet!.address)) - before).toBe(credit);

    // 2. the job is cancelled and refunded; the hook tries to claim the refund twice
    await send(token, 'setHook', '0x0000000000000000000000000000000000000000', '0x');
    await send(token, 'execute', mu.marketplaceAddress, marketplaceInterface.encodeFunctionData('cancelJob', [1n]));
    await chain.increaseTime(WINDOW + 1n);
    const escrow = (await read<{ escrow: bigint }>(mu.marketplace, 'getJob', 1n)).escrow;
    await send(token, 'setHook', mu.marketplaceAddress, marketplaceInterface.encodeFunctionData('claimRefund', [1n]));
    await send(mu.marketplace.connect(stranger!) as Contract, 'claimRefund', 1n);
    expect(await read(token, 'lastHookSucceeded')).toBe(false);
    expect(await read(token, 'lastHookResult')).toBe(reentrantCall);
    expect(await read(token, 'balanceOf', tokenAddress)).toBe(escrow);

    // the contract holds exactly what it owes: the deposit and the fees
    const fees = await read<bigint>(mu.marketplace, 'protocolFees');
    expect(await read(token, 'balanceOf', mu.marketplaceAddress)).toBe(MIN_DEPOSIT + fees);
  });
});

describe('a fee-on-transfer token', () => {
  it('is rejected: every pull checks the amount received', async () => {
    const [owner, , providerWallet] = chain.wallets;
    const token = await deployFixture(owner!, 'FeeOnTransferToken');
    const mu = await deployMu(owner!, { token: await token.getAddress(), regions: ['eu-west'] });
    await fund(mu, providerWallet!, MIN_DEPOSIT);
    await expectRevert(
      send(
        mu.marketplace.connect(providerWallet!) as Contract,
        'registerProvider',
        encryptionKey(providerWallet!),
        '',
        MIN_DEPOSIT,
      ),
      'FeeOnTransferNotSupported',
      [MIN_DEPOSIT, MIN_DEPOSIT - MIN_DEPOSIT / 100n],
    );
    expect(await read(token, 'balanceOf', mu.marketplaceAddress)).toBe(0n);
  });
});

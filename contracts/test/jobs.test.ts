import { type Contract, id, keccak256, Signature, TypedDataEncoder, Wallet } from 'ethers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deployMu, eip712Types, encodeUsageReports, type MuDeployment } from '../src/index.js';
import { type Chain, startAnvil } from './helpers/chain.js';
import {
  createJob,
  domainOf,
  events,
  expectedCharge,
  expectRevert,
  fund,
  MIN_DEPOSIT,
  ONE,
  prices,
  read,
  registerProvider,
  send,
  signCertificate,
  signReport,
  usage,
  WINDOW,
} from './helpers/mu.js';

let chain: Chain;
let mu: MuDeployment;
let snapshot: string;
const providerWallet = () => chain.wallets[2]!;
const otherProvider = () => chain.wallets[3]!;
const client = () => chain.wallets[4]!;
const stranger = () => chain.wallets[5]!;
const as = (wallet: Wallet | ReturnType<typeof client>) => mu.marketplace.connect(wallet) as Contract;
const SPEC = `0x${'5a'.repeat(200)}`;

beforeAll(async () => {
  chain = await startAnvil({ accounts: 8 });
  mu = await deployMu(chain.wallets[0]!, { treasury: chain.addresses[1]!, regions: ['eu-west', 'us-east'] });
  await registerProvider(mu, providerWallet());
  await registerProvider(mu, otherProvider());
  snapshot = await chain.snapshot();
});

beforeEach(async () => {
  await chain.revert(snapshot);
  snapshot = await chain.snapshot();
});

afterAll(async () => {
  await chain?.stop();
});

async function permit(owner: Wallet | ReturnType<typeof client>, value: bigint, deadline: bigint) {
  const nonce = await read<bigint>(mu.token, 'nonces', owner.address);
  const signature = await owner.signTypedData(
    { name: 'Mu Test USD', version: '1', chainId: mu.chainId, verifyingContract: mu.tokenAddress },
    {
      Permit: [
        { name: 'owner', type: 'address' },
        { name: 'spender', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint256' },
      ],
    },
    { owner: owner.address, spender: mu.marketplaceAddress, value, nonce, deadline },
  );
  return Signature.from(signature);
}

describe('createJob', () => {
  it('escrows the prepayment, locks the prices and emits the encrypted spec', async () => {
    await fund(mu, client(), 10n * ONE);
    const receipt = await send(as(client()), 'createJob', providerWallet().address, 1, SPEC, 10n * ONE);
    const [created] = events(mu.marketplace, receipt, 'JobCreated');
    expect(created).toMatchObject({
      jobId: 1n,
      client: client().address,
      provider: providerWallet().address,
      region: 1n,
      prepayment: 10n * ONE,
      encryptedSpec: SPEC,
    });
    const job = await read<Record<string, unknown>>(mu.marketplace, 'getJob', 1n);
    expect(job.escrow).toBe(10n * ONE);
    expect(job.specHash).toBe(keccak256(SPEC));
    expect(job.specBlock).toBe(BigInt(receipt.blockNumber));
    expect((job.prices as { perKvWrite: bigint }).perKvWrite).toBe(prices().perKvWrite);
    expect(await read(mu.marketplace, 'jobCount')).toBe(1n);
    expect((await read<[bigint[], bigint]>(mu.marketplace, 'getClientJobs', client().address, 0, 10))[0]).toEqual([1n]);
    expect(
      (await read<[bigint[], bigint]>(mu.marketplace, 'getProviderJobs', providerWallet().address, 0, 10))[0],
    ).toEqual([1n]);
    expect(
      (await read<Record<string, unknown>>(mu.marketplace, 'getProvider', providerWallet().address)).activeJobs,
    ).toBe(1n);
    expect(await read(mu.token, 'balanceOf', mu.marketplaceAddress)).toBe(2n * MIN_DEPOSIT + 10n * ONE);
  });

  it('pages the job lists of a client', async () => {
    for (let index = 0; index < 3; index++) await createJob(mu, client(), providerWallet().address, 1, ONE);
    const [page, total] = await read<[bigint[], bigint]>(mu.marketplace, 'getClientJobs', client().address, 1, 1);
    expect([[...page], total]).toEqual([[2n], 3n]);
  });

  it('refuses unknown providers, closed offers, oversized specs and amounts', async () => {
    await fund(mu, client(), 10n * ONE);
    const marketplace = as(client());
    await expectRevert(send(marketplace, 'createJob', stranger().address, 1, SPEC, ONE), 'NotRegistered');
    await expectRevert(send(marketplace, 'createJob', providerWallet().address, 2, SPEC, ONE), 'OfferNotOpen', [
      providerWallet().address,
      2n,
    ]);
    await expectRevert(
      send(marketplace, 'createJob', providerWallet().address, 1, `0x${'00'.repeat(16_385)}`, ONE),
      'SpecTooLarge',
      [16_385n, 16_384n],
    );
    await expectRevert(send(marketplace, 'createJob', providerWallet().address, 1, SPEC, 1n << 128n), 'AmountTooLarge');
    await expectRevert(
      send(marketplace, 'createJob', providerWallet().address, 1, SPEC, 11n * ONE),
      'ERC20InsufficientAllowance',
    );
  });

  it('creates a job with an ERC-2612 permit instead of an approve, even when the permit was front-run', async () => {
    await send(mu.token, 'mint', client().address, 20n * ONE);
    const deadline = (await chain.now()) + 3600n;
    const first = await permit(client(), 10n * ONE, deadline);
    const args = [providerWallet().address, 1, SPEC, 10n * ONE, deadline, first.v, first.r, first.s];
    await send(as(client()), 'createJobWithPermit', ...args);
    expect(await read(mu.marketplace, 'jobCount')).toBe(1n);
    // someone submits the next permit first: the job creation must still go through
    const second = await permit(client(), 10n * ONE, deadline);
    await send(
      mu.token,
      'permit',
      client().address,
      mu.marketplaceAddress,
      10n * ONE,
      deadline,
      second.v,
      second.r,
      second.s,
    );
    await send(
      as(client()),
      'createJobWithPermit',
      providerWallet().address,
      1,
      SPEC,
      10n * ONE,
      deadline,
      second.v,
      second.r,
      second.s,
    );
    expect(await read(mu.marketplace, 'jobCount')).toBe(2n);
    // a bad permit and no allowance: the transfer fails
    await send(mu.token, 'mint', client().address, 10n * ONE);
    await expectRevert(
      send(as(client()), 'createJobWithPermit', providerWallet().address, 1, SPEC, ONE, deadline, 27, first.r, first.s),
      'ERC20InsufficientAllowance',
    );
    await send(mu.marketplace, 'pause');
    await expectRevert(
      send(as(client()), 'createJobWithPermit', providerWallet().address, 1, SPEC, ONE, deadline, 27, first.r, first.s),
      'EnforcedPause',
    );
  });
});

describe('job lifecycle', () => {
  it('tops up (anyone may pay), replaces the spec, cancels, then refunds the rest after the window', async () => {
    const jobId = await createJob(mu, client(), providerWallet().address);
    await fund(mu, stranger(), 3n * ONE);
    const topped = await send(as(stranger()), 'topUp', jobId, 3n * ONE);
    expect(events(mu.marketplace, topped, 'JobToppedUp')).toEqual([
      { jobId, from: stranger().address, amount: 3n * ONE, escrow: 13n * ONE },
    ]);
    const updated = await send(as(client()), 'updateJobSpec', jobId, '0xbeef');
    expect(events(mu.marketplace, updated, 'JobUpdated')).toEqual([{ jobId, encryptedSpec: '0xbeef' }]);
    expect((await read<Record<string, unknown>>(mu.marketplace, 'getJob', jobId)).specHash).toBe(keccak256('0xbeef'));
    await expectRevert(send(as(client()), 'claimRefund', jobId), 'SettlementWindowOpen', [jobId, 0n]);
    const cancelled = await send(as(client()), 'cancelJob', jobId);
    const [event] = events(mu.marketplace, cancelled, 'JobCancelled');
    expect(event!.closesAt).toBe((await chain.now()) + WINDOW);
    await expectRevert(send(as(client()), 'claimRefund', jobId), 'SettlementWindowOpen');
    await chain.increaseTime(WINDOW + 1n);
    const before = await read<bigint>(mu.token, 'balanceOf', client().address);
    // anyone may trigger the refund; the client is paid
    const refunded = await send(as(stranger()), 'claimRefund', jobId);
    expect(events(mu.marketplace, refunded, 'RefundClaimed')).toEqual([
      { jobId, client: client().address, amount: 13n * ONE },
    ]);
    expect((await read<bigint>(mu.token, 'balanceOf', client().address)) - before).toBe(13n * ONE);
    await expectRevert(send(as(client()), 'claimRefund', jobId), 'NothingToWithdraw', [client().address]);
  });

  it('refuses lifecycle calls on unknown, foreign or cancelled jobs', async () => {
    const jobId = await createJob(mu, client(), providerWallet().address);
    await fund(mu, client(), 5n * ONE);
    for (const [method, args] of [
      ['topUp', [99n, ONE]],
      ['updateJobSpec', [99n, '0x']],
      ['cancelJob', [99n]],
      ['claimRefund', [99n]],
    ] as const) {
      await expectRevert(send(as(client()), method, ...args), 'UnknownJob', [99n]);
    }
    await expectRevert(read(mu.marketplace, 'getJob', 99n), 'UnknownJob', [99n]);
    await expectRevert(send(as(client()), 'topUp', jobId, 0n), 'ZeroAmount');
    await expectRevert(send(as(client()), 'topUp', jobId, (1n << 128n) - 1n), 'AmountTooLarge');
    await expectRevert(send(as(stranger()), 'updateJobSpec', jobId, '0x'), 'NotJobClient', [jobId, stranger().address]);
    await expectRevert(send(as(client()), 'updateJobSpec', jobId, `0x${'00'.repeat(16_385)}`), 'SpecTooLarge');
    await expectRevert(send(as(stranger()), 'cancelJob', jobId), 'NotJobParty', [jobId, stranger().address]);
    // the provider may cancel too (it stops serving); the client still gets the refund
    await send(as(providerWallet()), 'cancelJob', jobId);
    await expectRevert(send(as(client()), 'cancelJob', jobId), 'JobIsCancelled', [jobId]);
    await expectRevert(send(as(client()), 'topUp', jobId, ONE), 'JobIsCancelled', [jobId]);
    await expectRevert(send(as(client()), 'updateJobSpec', jobId, '0x'), 'JobIsCancelled', [jobId]);
  });
});

describe('withdrawals', () => {
  it('pays provider earnings and treasury fees once each', async () => {
    const jobId = await createJob(mu, client(), providerWallet().address);
    const node = new Wallet(id('node'));
    const domain = domainOf(mu);
    const certificate = await signCertificate(providerWallet(), domain, {
      node: node.address,
      provider: providerWallet().address,
      region: 1,
      notAfter: 4_000_000_000n,
    });
    const report = usage(jobId, node.address, 1n);
    const packed = encodeUsageReports([
      { certificateIndex: 0, report, signature: await signReport(node, domain, report) },
    ]);
    await send(as(stranger()), 'settleUsage', [certificate], packed);
    const charge = expectedCharge(report, prices());
    const fee = (charge * 250n) / 10_000n;
    const providerBefore = await read<bigint>(mu.token, 'balanceOf', providerWallet().address);
    const receipt = await send(as(providerWallet()), 'withdraw');
    expect(events(mu.marketplace, receipt, 'Withdrawn')).toEqual([
      { account: providerWallet().address, amount: charge - fee },
    ]);
    expect((await read<bigint>(mu.token, 'balanceOf', providerWallet().address)) - providerBefore).toBe(charge - fee);
    await expectRevert(send(as(providerWallet()), 'withdraw'), 'NothingToWithdraw', [providerWallet().address]);
    const fees = await send(as(stranger()), 'withdrawFees');
    expect(events(mu.marketplace, fees, 'FeesWithdrawn')).toEqual([{ treasury: chain.addresses[1], amount: fee }]);
    expect(await read(mu.token, 'balanceOf', chain.addresses[1])).toBe(fee);
    await expectRevert(send(as(stranger()), 'withdrawFees'), 'NothingToWithdraw', [chain.addresses[1]]);
  });
});

describe('EIP-712 helpers', () => {
  it('hash certificates and reports exactly as ethers does', async () => {
    const domain = domainOf(mu);
    const certificate = { node: stranger().address, provider: providerWallet().address, region: 7, notAfter: 123n };
    expect(await read(mu.marketplace, 'hashNodeCertificate', certificate)).toBe(
      TypedDataEncoder.hash(domain, { NodeCertificate: eip712Types.NodeCertificate }, certificate),
    );
    const report = usage(3n, stranger().address, 9n);
    expect(await read(mu.marketplace, 'hashUsageReport', report)).toBe(
      TypedDataEncoder.hash(domain, { UsageReport: eip712Types.UsageReport }, report),
    );
    expect(await read(mu.marketplace, 'DOMAIN_SEPARATOR')).toBe(TypedDataEncoder.hashDomain(domain));
  });
});

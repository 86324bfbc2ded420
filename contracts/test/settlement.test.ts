import { type Contract, id, Signature, Wallet } from 'ethers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deployMu, encodeUsageReports, type MuDeployment, muDomain, type UsageReport } from '../src/index.js';
import { type Chain, startAnvil } from './helpers/chain.js';
import {
  createJob,
  domainOf,
  events,
  expectedCharge,
  expectRevert,
  MIN_DEPOSIT,
  ONE,
  prices,
  read,
  registerProvider,
  type SignedCertificate,
  send,
  signCertificate,
  signReport,
  usage,
  WINDOW,
} from './helpers/mu.js';

let chain: Chain;
let mu: MuDeployment;
let snapshot: string;
let jobId: bigint;
let otherJobId: bigint;
let certificate: SignedCertificate;
const providerWallet = () => chain.wallets[2]!;
const otherProviderWallet = () => chain.wallets[3]!;
const client = () => chain.wallets[4]!;
const submitter = () => chain.wallets[5]!;
const node = new Wallet(id('node-1'));
const otherNode = new Wallet(id('node-2'));
const FAR = 4_000_000_000n;

async function settle(
  certificates: SignedCertificate[],
  entries: { index?: number; report: UsageReport; signer?: Wallet }[],
) {
  const domain = domainOf(mu);
  const packed = encodeUsageReports(
    await Promise.all(
      entries.map(async (entry) => ({
        certificateIndex: entry.index ?? 0,
        report: entry.report,
        signature: await signReport(entry.signer ?? node, domain, entry.report),
      })),
    ),
  );
  return send(mu.marketplace.connect(submitter()) as Contract, 'settleUsage', certificates, packed);
}

function settleCall(certificates: SignedCertificate[], packed: string) {
  return (mu.marketplace.connect(submitter()) as Contract).getFunction('settleUsage')(certificates, packed);
}

beforeAll(async () => {
  chain = await startAnvil({ accounts: 8 });
  mu = await deployMu(chain.wallets[0]!, { treasury: chain.addresses[1]!, regions: ['eu-west', 'us-east'] });
  await registerProvider(mu, providerWallet());
  await registerProvider(mu, otherProviderWallet());
  jobId = await createJob(mu, client(), providerWallet().address);
  otherJobId = await createJob(mu, client(), otherProviderWallet().address);
  certificate = await signCertificate(providerWallet(), domainOf(mu), {
    node: node.address,
    provider: providerWallet().address,
    region: 1,
    notAfter: FAR,
  });
  snapshot = await chain.snapshot();
});

beforeEach(async () => {
  await chain.revert(snapshot);
  snapshot = await chain.snapshot();
});

afterAll(async () => {
  await chain?.stop();
});

describe('settleUsage', () => {
  it('charges escrow at the price locked when the job was created and splits provider and protocol fee', async () => {
    // a later price change must not affect the job
    await send(
      mu.marketplace.connect(providerWallet()) as Contract,
      'setOffer',
      1,
      'https://gw',
      prices({ perRequest: 1n }),
    );
    const report = usage(jobId, node.address, 1n);
    const receipt = await settle([certificate], [{ report }]);
    const charge = expectedCharge(report, prices());
    expect(charge).toBeGreaterThan(0n);
    const [settled] = events(mu.marketplace, receipt, 'UsageSettled');
    expect(settled).toMatchObject({ jobId, node: node.address, sequence: 1n, charged: charge });
    const job = await read<{ escrow: bigint }>(mu.marketplace, 'getJob', jobId);
    expect(job.escrow).toBe(10n * ONE - charge);
    const fee = (charge * 250n) / 10_000n;
    expect(await read(mu.marketplace, 'credits', providerWallet().address)).toBe(charge - fee);
    expect(await read(mu.marketplace, 'protocolFees')).toBe(fee);
    expect(await read(mu.marketplace, 'lastSequence', jobId, node.address)).toBe(1n);
  });

  it('settles many reports of several jobs and nodes in one batch, each certificate verified once', async () => {
    const second = await signCertificate(providerWallet(), domainOf(mu), {
      node: otherNode.address,
      provider: providerWallet().address,
      region: 1,
      notAfter: FAR,
    });
    const third = await signCertificate(otherProviderWallet(), domainOf(mu), {
      node: otherNode.address,
      provider: otherProviderWallet().address,
      region: 1,
      notAfter: FAR,
    });
    const reports = [
      { index: 0, report: usage(jobId, node.address, 1n) },
      { index: 0, report: usage(jobId, node.address, 2n) },
      { index: 1, report: usage(jobId, otherNode.address, 1n), signer: otherNode },
      { index: 2, report: usage(otherJobId, otherNode.address, 7n), signer: otherNode },
    ];
    const receipt = await settle([certificate, second, third], reports);
    expect(events(mu.marketplace, receipt, 'UsageSettled')).toHaveLength(4);
    const charges = reports.map((entry) => expectedCharge(entry.report, prices()));
    const firstTotal = charges[0]! + charges[1]! + charges[2]!;
    const firstFee = (firstTotal * 250n) / 10_000n;
    const secondFee = (charges[3]! * 250n) / 10_000n;
    expect(await read(mu.marketplace, 'credits', providerWallet().address)).toBe(firstTotal - firstFee);
    expect(await read(mu.marketplace, 'credits', otherProviderWallet().address)).toBe(charges[3]! - secondFee);
    expect(await read(mu.marketplace, 'protocolFees')).toBe(firstFee + secondFee);
  });

  it('takes what is left, marks the job exhausted and records the shortfall when the escrow cannot cover', async () => {
    const report = usage(jobId, node.address, 1n, { requests: 100_000_000_000n });
    const needed = expectedCharge(report, prices());
    expect(needed).toBeGreaterThan(10n * ONE);
    const receipt = await settle([certificate], [{ report }]);
    expect(events(mu.marketplace, receipt, 'JobExhausted')).toEqual([{ jobId, uncovered: needed - 10n * ONE }]);
    const job = await read<{ escrow: bigint; shortfall: bigint; exhausted: boolean }>(mu.marketplace, 'getJob', jobId);
    expect(job.escrow).toBe(0n);
    expect(job.exhausted).toBe(true);
    expect(job.shortfall).toBe(needed - 10n * ONE);
    // a top-up clears the flag and later usage is charged again
    await registerProviderFunds(client(), ONE);
    await send(mu.marketplace.connect(client()) as Contract, 'topUp', jobId, ONE);
    expect((await read<{ exhausted: boolean }>(mu.marketplace, 'getJob', jobId)).exhausted).toBe(false);
  });

  it('handles counters big enough to overflow a naive uint64 multiplication', async () => {
    const max = (1n << 64n) - 1n;
    const report = usage(jobId, node.address, 1n, {
      requests: max,
      cpuMs: max,
      memoryMbMs: max,
      kvReads: max,
      kvWrites: max,
      egressBytes: max,
    });
    const receipt = await settle([certificate], [{ report }]);
    const needed = expectedCharge(report, prices());
    expect(report.requests * prices().perRequest).toBeGreaterThan(max);
    expect(events(mu.marketplace, receipt, 'JobExhausted')).toEqual([{ jobId, uncovered: needed - 10n * ONE }]);
    expect(await read(mu.marketplace, 'credits', providerWallet().address)).toBe(
      10n * ONE - (10n * ONE * 250n) / 10_000n,
    );
  });

  it('rounds the charge down and accepts zero usage without touching the escrow', async () => {
    const report = usage(jobId, node.address, 1n, {
      requests: 4n,
      cpuMs: 0n,
      memoryMbMs: 0n,
      kvReads: 0n,
      kvWrites: 0n,
      egressBytes: 0n,
    });
    const receipt = await settle([certificate], [{ report }]);
    // 4 × 0.2 = 0.8 base units → 0
    expect(events(mu.marketplace, receipt, 'UsageSettled')[0]).toMatchObject({ charged: 0n });
    expect((await read<{ escrow: bigint }>(mu.marketplace, 'getJob', jobId)).escrow).toBe(10n * ONE);
  });

  it('rejects malformed batches', async () => {
    await expectRevert(settleCall([certificate], '0x'), 'MalformedReports', [0n]);
    await expectRevert(settleCall([certificate], `0x${'00'.repeat(146)}`), 'MalformedReports', [146n]);
    const tooMany = Array.from({ length: 257 }, () => certificate);
    await expectRevert(settleCall(tooMany, `0x${'00'.repeat(145)}`), 'TooManyCertificates', [257n, 256n]);
  });

  it('rejects a report pointing at a missing certificate or job', async () => {
    const domain = domainOf(mu);
    const report = usage(jobId, node.address, 1n);
    const signature = await signReport(node, domain, report);
    await expectRevert(
      settleCall([certificate], encodeUsageReports([{ certificateIndex: 1, report, signature }])),
      'UnknownCertificate',
      [1n, 1n],
    );
    const missing = usage(99n, node.address, 1n);
    await expectRevert(
      settleCall(
        [certificate],
        encodeUsageReports([
          { certificateIndex: 0, report: missing, signature: await signReport(node, domain, missing) },
        ]),
      ),
      'UnknownJob',
      [99n],
    );
  });

  it('rejects a period that ends before it starts', async () => {
    const report = usage(jobId, node.address, 1n, { periodStart: 10n, periodEnd: 9n });
    await expectRevert(settle([certificate], [{ report }]), 'InvalidPeriod', [10n, 9n]);
  });
});

describe('attacks on settlement', () => {
  it('refuses a replayed report and any sequence not above the last', async () => {
    const report = usage(jobId, node.address, 5n);
    await settle([certificate], [{ report }]);
    await expectRevert(settle([certificate], [{ report }]), 'StaleSequence', [jobId, node.address, 5n, 5n]);
    await expectRevert(settle([certificate], [{ report: usage(jobId, node.address, 4n) }]), 'StaleSequence', [
      jobId,
      node.address,
      4n,
      5n,
    ]);
    // the same report twice in one batch
    const fresh = usage(jobId, node.address, 6n);
    await expectRevert(settle([certificate], [{ report: fresh }, { report: fresh }]), 'StaleSequence', [
      jobId,
      node.address,
      6n,
      6n,
    ]);
  });

  it("refuses a report by another provider's node", async () => {
    const foreign = await signCertificate(otherProviderWallet(), domainOf(mu), {
      node: otherNode.address,
      provider: otherProviderWallet().address,
      region: 1,
      notAfter: FAR,
    });
    await expectRevert(
      settle([foreign], [{ report: usage(jobId, otherNode.address, 1n), signer: otherNode }]),
      'CertificateProviderMismatch',
      [jobId, providerWallet().address, otherProviderWallet().address],
    );
  });

  it('refuses a revoked certificate', async () => {
    await send(mu.marketplace.connect(providerWallet()) as Contract, 'revokeNode', node.address);
    await expectRevert(settle([certificate], [{ report: usage(jobId, node.address, 1n) }]), 'NodeIsRevoked', [
      providerWallet().address,
      node.address,
    ]);
  });

  it('refuses an expired certificate', async () => {
    const now = await chain.now();
    const shortLived = await signCertificate(providerWallet(), domainOf(mu), {
      node: node.address,
      provider: providerWallet().address,
      region: 1,
      notAfter: now + 100n,
    });
    await settle([shortLived], [{ report: usage(jobId, node.address, 1n) }]);
    await chain.increaseTime(101);
    await expectRevert(settle([shortLived], [{ report: usage(jobId, node.address, 2n) }]), 'CertificateExpired', [
      node.address,
      now + 100n,
    ]);
  });

  it('refuses a certificate for another region', async () => {
    const elsewhere = await signCertificate(providerWallet(), domainOf(mu), {
      node: node.address,
      provider: providerWallet().address,
      region: 2,
      notAfter: FAR,
    });
    await expectRevert(settle([elsewhere], [{ report: usage(jobId, node.address, 1n) }]), 'CertificateRegionMismatch', [
      jobId,
      1n,
      2n,
    ]);
  });

  it('refuses a certificate not signed by the provider', async () => {
    const forged = await signCertificate(node, domainOf(mu), {
      node: node.address,
      provider: providerWallet().address,
      region: 1,
      notAfter: FAR,
    });
    await expectRevert(settle([forged], [{ report: usage(jobId, node.address, 1n) }]), 'InvalidCertificateSignature', [
      node.address,
      providerWallet().address,
    ]);
    const garbage = { ...certificate, signature: { r: `0x${'00'.repeat(32)}`, vs: `0x${'00'.repeat(32)}` } };
    await expectRevert(settle([garbage], [{ report: usage(jobId, node.address, 1n) }]), 'InvalidCertificateSignature');
  });

  it('refuses a report signed by a key other than the certified node', async () => {
    await expectRevert(
      settle([certificate], [{ report: usage(jobId, node.address, 1n), signer: otherNode }]),
      'InvalidReportSignature',
      [jobId, node.address, 1n],
    );
  });

  it('refuses a signature reused for another job', async () => {
    const domain = domainOf(mu);
    const report = usage(jobId, node.address, 1n);
    const signature = await signReport(node, domain, report);
    const secondJob = await createJob(mu, client(), providerWallet().address);
    const packed = encodeUsageReports([{ certificateIndex: 0, report: { ...report, jobId: secondJob }, signature }]);
    await expectRevert(settleCall([certificate], packed), 'InvalidReportSignature', [secondJob, node.address, 1n]);
  });

  it('refuses signatures from another chain id or another contract (domain separation)', async () => {
    const report = usage(jobId, node.address, 1n);
    const otherChain = muDomain(mu.chainId + 1n, mu.marketplaceAddress);
    const otherContract = muDomain(mu.chainId, mu.tokenAddress);
    for (const domain of [otherChain, otherContract]) {
      const packed = encodeUsageReports([
        { certificateIndex: 0, report, signature: await signReport(node, domain, report) },
      ]);
      await expectRevert(settleCall([certificate], packed), 'InvalidReportSignature', [jobId, node.address, 1n]);
      const crossCertificate = await signCertificate(providerWallet(), domain, certificate.certificate);
      await expectRevert(settle([crossCertificate], [{ report }]), 'InvalidCertificateSignature');
    }
  });

  it('refuses settlement after the window that follows a cancel, and accepts it within', async () => {
    await send(mu.marketplace.connect(client()) as Contract, 'cancelJob', jobId);
    await settle([certificate], [{ report: usage(jobId, node.address, 1n) }]);
    const closesAt = (await read<{ closesAt: bigint }>(mu.marketplace, 'getJob', jobId)).closesAt;
    await chain.increaseTime(WINDOW + 1n);
    await expectRevert(settle([certificate], [{ report: usage(jobId, node.address, 2n) }]), 'SettlementWindowClosed', [
      jobId,
      closesAt,
    ]);
  });
});

async function registerProviderFunds(wallet: Wallet | (typeof chain.wallets)[number], amount: bigint) {
  await send(mu.token, 'mint', wallet.address, amount);
  await send(mu.token.connect(wallet) as Contract, 'approve', mu.marketplaceAddress, amount);
}

describe('proveEquivocation', () => {
  async function signed(report: UsageReport, signer: Wallet = node) {
    const signature = Signature.from(await signReport(signer, domainOf(mu), report));
    return { r: signature.r, vs: signature.yParityAndS };
  }

  it('slashes the provider, rewards the prover, pays the treasury share and revokes the node', async () => {
    const first = usage(jobId, node.address, 3n);
    const second = usage(jobId, node.address, 3n, { requests: 999_999n });
    const receipt = await send(
      mu.marketplace.connect(submitter()) as Contract,
      'proveEquivocation',
      certificate,
      first,
      await signed(first),
      second,
      await signed(second),
    );
    const slashed = (MIN_DEPOSIT * 1000n) / 10_000n;
    const reward = (slashed * 5000n) / 10_000n;
    expect(events(mu.marketplace, receipt, 'ProviderSlashed')).toEqual([
      {
        provider: providerWallet().address,
        node: node.address,
        prover: submitter().address,
        jobId,
        sequence: 3n,
        slashed,
        reward,
      },
    ]);
    expect((await read<{ deposit: bigint }>(mu.marketplace, 'getProvider', providerWallet().address)).deposit).toBe(
      MIN_DEPOSIT - slashed,
    );
    expect(await read(mu.marketplace, 'credits', submitter().address)).toBe(reward);
    expect(await read(mu.marketplace, 'protocolFees')).toBe(slashed - reward);
    expect(await read(mu.marketplace, 'isNodeRevoked', providerWallet().address, node.address)).toBe(true);
    // the same proof cannot slash twice, and the node's reports are now refused
    await expectRevert(
      send(mu.marketplace, 'proveEquivocation', certificate, first, await signed(first), second, await signed(second)),
      'NodeIsRevoked',
    );
    await expectRevert(settle([certificate], [{ report: usage(jobId, node.address, 9n) }]), 'NodeIsRevoked');
    // the slashed provider is below the minimum: no new jobs
    await expectRevert(createJob(mu, client(), providerWallet().address), 'DepositBelowMinimum');
  });

  it('slashes unbonding funds too', async () => {
    await registerProviderFunds(providerWallet(), 50n * ONE);
    await send(mu.marketplace.connect(providerWallet()) as Contract, 'addDeposit', 50n * ONE);
    await send(mu.marketplace.connect(providerWallet()) as Contract, 'startUnbonding', 50n * ONE);
    await send(mu.marketplace, 'setSlashing', 10_000, 0);
    const first = usage(jobId, node.address, 3n);
    const second = usage(jobId, node.address, 3n, { cpuMs: 1n });
    await send(
      mu.marketplace,
      'proveEquivocation',
      certificate,
      first,
      await signed(first),
      second,
      await signed(second),
    );
    const provider = await read<{ deposit: bigint; unbonding: bigint }>(
      mu.marketplace,
      'getProvider',
      providerWallet().address,
    );
    expect([provider.deposit, provider.unbonding]).toEqual([0n, 0n]);
    expect(await read(mu.marketplace, 'protocolFees')).toBe(MIN_DEPOSIT + 50n * ONE);
  });

  it('refuses anything that is not two different reports of one node for the same job and sequence', async () => {
    const first = usage(jobId, node.address, 3n);
    const prove = async (a: UsageReport, b: UsageReport, cert = certificate, signerB: Wallet = node) =>
      send(mu.marketplace, 'proveEquivocation', cert, a, await signed(a), b, await signed(b, signerB));
    await expectRevert(prove(first, first), 'ReportsNotConflicting', [jobId, 3n]);
    await expectRevert(prove(first, usage(jobId, node.address, 4n)), 'ReportsNotConflicting');
    await expectRevert(prove(first, { ...usage(otherJobId, node.address, 3n) }), 'ReportsNotConflicting');
    await expectRevert(
      prove(first, usage(jobId, otherNode.address, 3n), certificate, otherNode),
      'ReportsNotConflicting',
    );
    await expectRevert(
      prove(first, usage(jobId, node.address, 3n, { kvReads: 1n }), certificate, otherNode),
      'InvalidReportSignature',
      [jobId, node.address, 3n],
    );
    const forged = await signCertificate(node, domainOf(mu), certificate.certificate);
    await expectRevert(
      prove(first, usage(jobId, node.address, 3n, { kvReads: 1n }), forged),
      'InvalidCertificateSignature',
    );
    // a certificate of another provider cannot slash for this provider's job
    const foreign = await signCertificate(otherProviderWallet(), domainOf(mu), {
      ...certificate.certificate,
      provider: otherProviderWallet().address,
    });
    await expectRevert(
      prove(first, usage(jobId, node.address, 3n, { kvReads: 1n }), foreign),
      'CertificateProviderMismatch',
    );
    await expectRevert(
      prove(usage(77n, node.address, 3n), usage(77n, node.address, 3n, { kvReads: 1n })),
      'UnknownJob',
      [77n],
    );
  });
});

describe('certificates', () => {
  it('refuses a certificate for the zero node', async () => {
    const zero = await signCertificate(providerWallet(), domainOf(mu), {
      node: '0x0000000000000000000000000000000000000000',
      provider: providerWallet().address,
      region: 1,
      notAfter: FAR,
    });
    await expectRevert(settle([zero], [{ report: usage(jobId, node.address, 1n) }]), 'ZeroAddress');
  });
});

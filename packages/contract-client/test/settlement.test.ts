import { waitUntil } from '@mu/test-kit';
import { id, TypedDataEncoder } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertProtocolCompatible,
  buildSettlements,
  ConflictingReportsError,
  chargeFor,
  createJob,
  createMuClient,
  ENVELOPE_OVERHEAD_BYTES,
  getDomainSeparator,
  getEip712Domain,
  getJob,
  getLastSequence,
  getMarketplaceConstants,
  hashNodeCertificate,
  hashNodeCertificateOnChain,
  hashUsageReport,
  hashUsageReportOnChain,
  InvalidReportSignatureError,
  JOB_SPEC_LIMITS,
  MAX_ENCRYPTED_SPEC_BYTES,
  MuContractError,
  muDomain,
  NODE_CERTIFICATE_TYPES,
  PRICE_SCALE_DECIMALS,
  protocolMismatches,
  type SignedUsageReport,
  StaleSequenceError,
  settleUsage,
  signUsageReport,
  USAGE_REPORT_TYPES,
  type UsageReport,
  verifyUsageReport,
} from '../src/index.js';
import { type Network, PRICES, startNetwork } from './fixtures/network.js';

let net: Network;
let jobId: bigint;
beforeAll(async () => {
  net = await startNetwork();
  ({ jobId } = await createJob(net.client, {
    provider: net.wallets.provider.address,
    region: 1,
    encryptedSpec: net.envelope(),
    prepayment: 50_000_000n,
  }));
  // A second job of the same provider and region, so a report whose jobId is changed to it reaches the signature check.
  await createJob(net.client, {
    provider: net.wallets.provider.address,
    region: 1,
    encryptedSpec: net.envelope(),
    prepayment: 1n,
  });
});
afterAll(async () => {
  await net?.anvil.stop();
});

function usage(sequence: bigint) {
  return {
    jobId,
    sequence,
    periodStart: 1_700_000_000n + sequence * 60n,
    periodEnd: 1_700_000_060n + sequence * 60n,
    requests: 1_000n,
    cpuMs: 2_000n,
    memoryMbMs: 64_000n,
    kvReads: 100n,
    kvWrites: 10n,
    egressBytes: 1_000_000n,
  };
}

describe('usage settlement against the contract', () => {
  it('agrees with the contract on every EIP-712 digest', async () => {
    const signed = await signUsageReport(net.nodeKey, usage(1n), net.domain);
    expect(await hashUsageReportOnChain(net.client, signed.report)).toBe(hashUsageReport(signed.report, net.domain));
    expect(await hashNodeCertificateOnChain(net.client, net.certificate.certificate)).toBe(
      hashNodeCertificate(net.certificate.certificate, net.domain),
    );
    expect(await getDomainSeparator(net.client)).toBe(TypedDataEncoder.hashDomain(muDomain(net.domain)));
    expect(await getEip712Domain(net.client)).toEqual({ ...muDomain(net.domain), chainId: net.domain.chainId });
  });

  it('speaks the same protocol as the deployed contract (constants and type hashes)', async () => {
    const constants = await getMarketplaceConstants(net.client);
    expect(constants).toMatchObject({
      MAX_SPEC_BYTES: BigInt(MAX_ENCRYPTED_SPEC_BYTES),
      PRICE_SCALE_DECIMALS,
      REPORT_SIZE: 145n,
      NODE_CERTIFICATE_TYPEHASH: id(TypedDataEncoder.from(NODE_CERTIFICATE_TYPES).encodeType('NodeCertificate')),
      USAGE_REPORT_TYPEHASH: id(TypedDataEncoder.from(USAGE_REPORT_TYPES).encodeType('UsageReport')),
    });
    expect(constants.MAX_SPEC_BYTES).toBe(BigInt(JOB_SPEC_LIMITS.maxSerializedBytes + ENVELOPE_OVERHEAD_BYTES));
    await expect(assertProtocolCompatible(net.client)).resolves.toBeUndefined();
    expect(protocolMismatches({ ...constants, REPORT_SIZE: 146n }, { name: 'Mu', version: '2' })).toEqual([
      'EIP-712 domain version is 2, expected 1',
      'REPORT_SIZE is 146, expected 145',
    ]);
    const notMu = createMuClient({ address: net.mu.token, runner: net.anvil.provider });
    await expect(assertProtocolCompatible(notMu)).rejects.toBeInstanceOf(MuContractError);
  });

  it('accepts a report signed in TypeScript and charges it at the locked prices', async () => {
    const signed = await signUsageReport(net.nodeKey, usage(1n), net.domain);
    const before = await getJob(net.client, { jobId });
    const { settlements, rejected } = buildSettlements([signed], [net.certificate], { domain: net.domain });
    expect(rejected).toEqual([]);
    expect(settlements).toHaveLength(1);
    const result = await settleUsage(net.other, settlements[0]!);
    const expected = chargeFor(PRICES, signed.report);
    expect(expected).toBeGreaterThan(0n);
    expect(result.settled).toEqual([{ jobId, node: net.nodeKey.address, sequence: 1n, charged: expected }]);
    expect((await getJob(net.client, { jobId })).escrow).toBe(before.escrow - expected);
    expect(await getLastSequence(net.client, { jobId, node: net.nodeKey.address })).toBe(1n);
  });

  it('refuses the same report with any field changed, on chain and in verifyUsageReport', async () => {
    const signed = await signUsageReport(net.nodeKey, usage(2n), net.domain);
    const fields = Object.keys(signed.report).filter((field) => field !== 'node') as (keyof UsageReport)[];
    for (const field of fields) {
      const report = { ...signed.report, [field]: (signed.report[field] as bigint) + 1n };
      // periodStart + 1 must stay <= periodEnd, which it does here (60 s periods).
      const tampered: SignedUsageReport = { report, signature: signed.signature };
      expect(verifyUsageReport(tampered, net.domain), field).toBe(false);
      const { settlements } = buildSettlements([tampered], [net.certificate]);
      await expect(settleUsage(net.other, settlements[0]!), field).rejects.toBeInstanceOf(InvalidReportSignatureError);
    }
    // node is taken from the certificate on chain: a report claiming another node has no certificate at all.
    const otherNode = { ...signed, report: { ...signed.report, node: net.wallets.other.address } };
    expect(verifyUsageReport(otherNode, net.domain)).toBe(false);
    expect(buildSettlements([otherNode], [net.certificate]).rejected).toEqual([
      { signed: otherNode, reason: 'no-certificate' },
    ]);
    // The untouched report still settles.
    const { settlements } = buildSettlements([signed], [net.certificate]);
    expect((await settleUsage(net.other, settlements[0]!)).settled).toHaveLength(1);
  });

  it('refuses a replayed report with a typed StaleSequence error', async () => {
    const signed = await signUsageReport(net.nodeKey, usage(2n), net.domain);
    const { settlements } = buildSettlements([signed], [net.certificate]);
    const error = await settleUsage(net.other, settlements[0]!).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StaleSequenceError);
    expect(error).toMatchObject({
      code: 'CONTRACT_STALE_SEQUENCE',
      errorName: 'StaleSequence',
      args: { jobId, node: net.nodeKey.address, sequence: 2n, lastSequence: 2n },
    });
  });

  it('reports a transaction that passed estimation but reverted when mined as CONTRACT_REVERTED', async () => {
    const signed = await signUsageReport(net.nodeKey, usage(3n), net.domain);
    const { settlements } = buildSettlements([signed], [net.certificate]);
    await net.anvil.provider.send('evm_setAutomine', [false]);
    try {
      // Both estimate against the same state; mined in one block, the second is a replay.
      const first = settleUsage(net.other, settlements[0]!);
      const second = settleUsage(net.client, settlements[0]!);
      // handled from the start: the loser may reject while the test still waits for evm_mine's answer
      const settled = Promise.allSettled([first, second]);
      await waitUntil(
        async () => Number(((await net.anvil.provider.send('txpool_status', [])) as { pending: string }).pending) === 2,
        'both transactions are in the pool',
        { intervalMs: 10 },
      );
      await net.anvil.provider.send('evm_mine', []);
      const results = await settled;
      expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
      const failure = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
      expect(failure.reason).toBeInstanceOf(MuContractError);
      expect(failure.reason).toMatchObject({ code: 'CONTRACT_REVERTED' });
    } finally {
      await net.anvil.provider.send('evm_setAutomine', [true]);
    }
  });

  it('settles many reports from several nodes in one call, each certificate once', async () => {
    const { certifyNode, generateNodeKey } = await import('../src/index.js');
    const nodes = [net.nodeKey, generateNodeKey(), generateNodeKey()];
    const certificates = [
      net.certificate,
      ...(await Promise.all(
        nodes
          .slice(1)
          .map((node) =>
            certifyNode(net.wallets.provider, { node: node.address, region: 1, notAfter: 4_000_000_000n }, net.domain),
          ),
      )),
    ];
    const reports: SignedUsageReport[] = [];
    for (const [index, node] of nodes.entries()) {
      for (let sequence = 10n; sequence < 15n; sequence++) {
        reports.push(await signUsageReport(node, { ...usage(sequence), requests: BigInt(index + 1) }, net.domain));
      }
    }
    const shuffled = [...reports].reverse();
    shuffled.push(reports[0]!); // an exact duplicate is dropped, not sent
    const { settlements, rejected } = buildSettlements(shuffled, certificates, { domain: net.domain });
    expect(rejected.map((item) => item.reason)).toEqual(['duplicate']);
    expect(settlements).toHaveLength(1);
    expect(settlements[0]!.certificates).toHaveLength(3);
    const result = await settleUsage(net.other, settlements[0]!);
    expect(result.settled).toHaveLength(15);
    expect(result.settled.reduce((sum, item) => sum + item.charged, 0n)).toBe(
      reports.reduce((sum, item) => sum + chargeFor(PRICES, item.report), 0n),
    );
  });

  it('splits settlements by maxReports and refuses equivocation in the builder', async () => {
    const a = await signUsageReport(net.nodeKey, usage(20n), net.domain);
    const b = await signUsageReport(net.nodeKey, usage(21n), net.domain);
    expect(buildSettlements([a, b], [net.certificate], { maxReports: 1 }).settlements).toHaveLength(2);
    const conflicting = await signUsageReport(net.nodeKey, { ...usage(20n), requests: 5n }, net.domain);
    expect(() => buildSettlements([a, conflicting], [net.certificate])).toThrow(ConflictingReportsError);
  });
});

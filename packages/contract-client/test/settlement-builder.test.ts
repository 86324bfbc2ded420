import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import {
  buildSettlements,
  certifyNode,
  generateNodeKey,
  type SignedUsageReport,
  signUsageReport,
} from '../src/index.js';

const domain = { chainId: 31337n, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };
const providerA = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const providerB = new Wallet('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');

const usage = (jobId: bigint, sequence: bigint) => ({
  jobId,
  sequence,
  periodStart: 0n,
  periodEnd: 60n,
  requests: 1n,
  cpuMs: 0n,
  memoryMbMs: 0n,
  kvReads: 0n,
  kvWrites: 0n,
  egressBytes: 0n,
});

describe('buildSettlements (offline)', () => {
  it('groups reports by provider, orders sequences and lists each certificate once', async () => {
    const nodeA = generateNodeKey();
    const nodeB = generateNodeKey();
    const certA = await certifyNode(providerA, { node: nodeA.address, region: 1, notAfter: 2_000_000_000n }, domain);
    const certB = await certifyNode(providerB, { node: nodeB.address, region: 1, notAfter: 2_000_000_000n }, domain);
    const reports: SignedUsageReport[] = [];
    for (const sequence of [3n, 1n, 2n]) {
      reports.push(await signUsageReport(nodeB, usage(7n, sequence), domain));
      reports.push(await signUsageReport(nodeA, usage(5n, sequence), domain));
    }
    const { settlements, rejected } = buildSettlements(reports, [certB, certA], { domain });
    expect(rejected).toEqual([]);
    const [settlement] = settlements;
    expect(settlements).toHaveLength(1);
    const providers = settlement!.entries.map((entry) => (entry.report.node === nodeA.address ? 'A' : 'B'));
    const expectedFirst = providerA.address.toLowerCase() < providerB.address.toLowerCase() ? 'A' : 'B';
    expect(providers.slice(0, 3)).toEqual(Array(3).fill(expectedFirst));
    expect(settlement!.entries.slice(0, 3).map((entry) => entry.report.sequence)).toEqual([1n, 2n, 3n]);
    expect(settlement!.certificates).toHaveLength(2);
    expect((settlement!.reports.length - 2) / 2).toBe(6 * 145);
    // The first record points at the first certificate, whose node signed it.
    const firstIndex = Number.parseInt(settlement!.reports.slice(2, 4), 16);
    expect(settlement!.certificates[firstIndex]!.certificate.node).toBe(settlement!.entries[0]!.report.node);
  });

  it('leaves out reports that would revert the batch, saying why', async () => {
    const node = generateNodeKey();
    const stranger = generateNodeKey();
    const expiredNode = generateNodeKey();
    const certificate = await certifyNode(
      providerA,
      { node: node.address, region: 1, notAfter: 2_000_000_000n },
      domain,
    );
    const expired = await certifyNode(providerA, { node: expiredNode.address, region: 1, notAfter: 100n }, domain);
    const good = await signUsageReport(node, usage(1n, 1n), domain);
    const forged = { ...good, report: { ...good.report, requests: 2n } };
    const uncertified = await signUsageReport(stranger, usage(1n, 1n), domain);
    const late = await signUsageReport(expiredNode, usage(1n, 1n), domain);
    const { settlements, rejected } = buildSettlements([good, forged, uncertified, late], [certificate, expired], {
      domain,
      now: 1_000n,
    });
    expect(settlements[0]!.entries).toEqual([good]);
    expect(rejected.map((item) => item.reason).sort()).toEqual([
      'invalid-certificate',
      'invalid-signature',
      'no-certificate',
    ]);
  });

  it('starts a new settlement past 256 nodes', async () => {
    const nodes = Array.from({ length: 257 }, () => generateNodeKey());
    const certificates = await Promise.all(
      nodes.map((node) => certifyNode(providerA, { node: node.address, region: 1, notAfter: 2_000_000_000n }, domain)),
    );
    const reports = await Promise.all(nodes.map((node) => signUsageReport(node, usage(1n, 1n), domain)));
    const { settlements } = buildSettlements(reports, certificates);
    expect(settlements.map((settlement) => settlement.certificates.length)).toEqual([200, 57]);
    const wide = buildSettlements(reports, certificates, { maxReports: 1000 }).settlements;
    expect(wide.map((settlement) => settlement.certificates.length)).toEqual([256, 1]);
  });

  it('returns nothing to send for no reports and checks its arguments', () => {
    expect(buildSettlements([], [])).toEqual({ settlements: [], rejected: [] });
    expect(() => buildSettlements([], [], { maxReports: 0 })).toThrow(RangeError);
    expect(() => buildSettlements('x' as never, [])).toThrow(TypeError);
  });
});

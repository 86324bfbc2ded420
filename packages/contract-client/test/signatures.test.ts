import { keccak_256 } from '@noble/hashes/sha3.js';
import { TypedDataEncoder, Wallet } from 'ethers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../src/bytes.js';
import {
  certifyNode,
  EXECUTION_RECEIPT_TYPES,
  generateNodeKey,
  hashNodeCertificate,
  hashPayload,
  hashUsageReport,
  muDomain,
  NODE_CERTIFICATE_TYPES,
  signReceipt,
  signUsageReport,
  USAGE_REPORT_TYPES,
  type UsageReport,
  verifyNodeCertificate,
  verifyReceipt,
  verifyUsageReport,
} from '../src/index.js';

const domain = { chainId: 31337n, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };
// Anvil's well-known test keys: deterministic vectors, never funds.
const provider = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const node = new Wallet('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');

const reportInput = {
  jobId: 1n,
  sequence: 1n,
  periodStart: 1_700_000_000n,
  periodEnd: 1_700_000_060n,
  requests: 120n,
  cpuMs: 300n,
  memoryMbMs: 9_600n,
  kvReads: 40n,
  kvWrites: 4n,
  egressBytes: 65_536n,
};

describe('EIP-712 types', () => {
  it('encode exactly the type strings fixed in protocol.md', () => {
    expect(TypedDataEncoder.from(NODE_CERTIFICATE_TYPES).encodeType('NodeCertificate')).toBe(
      'NodeCertificate(address node,address provider,uint32 region,uint64 notAfter)',
    );
    expect(TypedDataEncoder.from(USAGE_REPORT_TYPES).encodeType('UsageReport')).toBe(
      'UsageReport(uint64 jobId,address node,uint64 sequence,uint64 periodStart,uint64 periodEnd,uint64 requests,uint64 cpuMs,uint64 memoryMbMs,uint64 kvReads,uint64 kvWrites,uint64 egressBytes)',
    );
    expect(TypedDataEncoder.from(EXECUTION_RECEIPT_TYPES).encodeType('ExecutionReceipt')).toBe(
      'ExecutionReceipt(uint64 jobId,address node,bytes32 requestHash,bytes32 responseHash,uint64 timestamp,RequestUsage usage)RequestUsage(uint64 cpuMs,uint64 memoryMbMs,uint64 kvReads,uint64 kvWrites,uint64 egressBytes)',
    );
  });

  it('uses the domain { name: "Mu", version: "1", chainId, verifyingContract }', () => {
    expect(muDomain(domain)).toEqual({ name: 'Mu', version: '1', ...domain });
    expect(() => muDomain({ ...domain, verifyingContract: '0x5fbdb2315678afecb367f032d93f642f64180aA3' })).toThrow(
      TypeError,
    );
  });

  it('hashes a report the way an independent encoder (keccak over abi words) does', () => {
    const report = { ...reportInput, node: node.address };
    const word = (value: bigint) => value.toString(16).padStart(64, '0');
    const typeHash = toHex(
      keccak_256(
        new TextEncoder().encode(
          USAGE_REPORT_TYPES.UsageReport!.map((f) => `${f.type} ${f.name}`)
            .join(',')
            .replace(/^/, 'UsageReport(')
            .concat(')'),
        ),
      ),
    );
    const struct = `${typeHash.slice(2)}${word(report.jobId)}${word(BigInt(report.node))}${[
      report.sequence,
      report.periodStart,
      report.periodEnd,
      report.requests,
      report.cpuMs,
      report.memoryMbMs,
      report.kvReads,
      report.kvWrites,
      report.egressBytes,
    ]
      .map(word)
      .join('')}`;
    const structHash = keccak_256(Buffer.from(struct, 'hex'));
    const domainTypeHash = keccak_256(
      new TextEncoder().encode('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'),
    );
    const domainSeparator = keccak_256(
      Buffer.concat([
        domainTypeHash,
        keccak_256(new TextEncoder().encode('Mu')),
        keccak_256(new TextEncoder().encode('1')),
        Buffer.from(word(domain.chainId), 'hex'),
        Buffer.from(word(BigInt(domain.verifyingContract)), 'hex'),
      ]),
    );
    const digest = keccak_256(Buffer.concat([Buffer.from([0x19, 0x01]), domainSeparator, structHash]));
    expect(hashUsageReport(report, domain)).toBe(toHex(digest));
  });
});

describe('node certificates', () => {
  it('are signed by the provider and verify; any change or expiry fails', async () => {
    const signed = await certifyNode(provider, { node: node.address, region: 7, notAfter: 2_000_000_000 }, domain);
    expect(signed.certificate).toEqual({
      node: node.address,
      provider: provider.address,
      region: 7,
      notAfter: 2_000_000_000n,
    });
    expect(verifyNodeCertificate(signed, domain)).toBe(true);
    expect(verifyNodeCertificate(signed, domain, { now: 2_000_000_000n })).toBe(true);
    expect(verifyNodeCertificate(signed, domain, { now: 2_000_000_001n })).toBe(false);
    expect(verifyNodeCertificate({ ...signed, certificate: { ...signed.certificate, region: 8 } }, domain)).toBe(false);
    expect(
      verifyNodeCertificate({ ...signed, certificate: { ...signed.certificate, notAfter: 2_000_000_001n } }, domain),
    ).toBe(false);
    expect(
      verifyNodeCertificate({ ...signed, certificate: { ...signed.certificate, provider: node.address } }, domain),
    ).toBe(false);
    expect(verifyNodeCertificate(signed, { ...domain, chainId: 1n })).toBe(false);
    expect(hashNodeCertificate(signed.certificate, domain)).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('checks fields before signing', async () => {
    await expect(certifyNode(provider, { node: '0x1', region: 1, notAfter: 1 }, domain)).rejects.toThrow(TypeError);
    await expect(certifyNode(provider, { node: node.address, region: 2 ** 32, notAfter: 1 }, domain)).rejects.toThrow(
      RangeError,
    );
  });

  it('generates distinct node keys', () => {
    const first = generateNodeKey();
    expect(first.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(generateNodeKey().address).not.toBe(first.address);
  });
});

describe('usage reports', () => {
  it('pin a signature test vector (RFC 6979 deterministic ECDSA)', async () => {
    const signed = await signUsageReport(node, reportInput, domain);
    expect(signed.report.node).toBe(node.address);
    expect(signed.signature).toMatchInlineSnapshot(
      `"0xb096ccff5ce8178acd37ca8fa598851af56d4350aed0e6c02c4e0fc0dc235ade527913e9e71a0fe2f1cae4249d66646f29375c740fe7d4795f62de2a19be52271b"`,
    );
    expect(verifyUsageReport(signed, domain)).toBe(true);
  });

  it('refuse any changed field, another domain and a bad signature', async () => {
    const signed = await signUsageReport(node, reportInput, domain);
    const fields = Object.keys(signed.report) as (keyof UsageReport)[];
    for (const field of fields) {
      const value = signed.report[field];
      const changed = typeof value === 'bigint' ? value + 1n : provider.address;
      expect(verifyUsageReport({ ...signed, report: { ...signed.report, [field]: changed } }, domain), field).toBe(
        false,
      );
    }
    expect(verifyUsageReport(signed, { ...domain, verifyingContract: provider.address })).toBe(false);
    expect(verifyUsageReport({ ...signed, signature: '0x1234' }, domain)).toBe(false);
  });

  it('refuse any change to any field (property)', async () => {
    const signed = await signUsageReport(node, reportInput, domain);
    const numeric = [
      'jobId',
      'sequence',
      'periodStart',
      'requests',
      'cpuMs',
      'memoryMbMs',
      'kvReads',
      'kvWrites',
      'egressBytes',
    ] as const;
    fc.assert(
      fc.property(fc.constantFrom(...numeric), fc.bigInt({ min: 0n, max: 1_699_999_999n }), (field, value) => {
        fc.pre(value !== signed.report[field]);
        expect(verifyUsageReport({ ...signed, report: { ...signed.report, [field]: value } }, domain)).toBe(false);
      }),
    );
  });

  it('refuse to sign for another node or with out-of-range numbers', async () => {
    await expect(signUsageReport(node, { ...reportInput, node: provider.address }, domain)).rejects.toThrow(TypeError);
    await expect(signUsageReport(node, { ...reportInput, cpuMs: 1n << 64n }, domain)).rejects.toThrow(RangeError);
    await expect(signUsageReport(node, { ...reportInput, periodEnd: 1n }, domain)).rejects.toThrow(RangeError);
    await expect(signUsageReport(node, { ...reportInput, requests: 1.5 }, domain)).rejects.toThrow(TypeError);
  });
});

describe('execution receipts', () => {
  const input = {
    jobId: 3,
    requestHash: hashPayload('GET /hello'),
    responseHash: hashPayload(new TextEncoder().encode('hello')),
    timestamp: 1_700_000_000_123,
    usage: { cpuMs: 1, memoryMbMs: 32, kvReads: 2, kvWrites: 0, egressBytes: 5 },
  };

  it('sign and verify; a changed hash, usage or node fails', async () => {
    const signed = await signReceipt(node, input, domain);
    expect(signed.receipt.requestHash).toBe(
      `0x${Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('GET /hello'))).toString('hex')}`,
    );
    expect(verifyReceipt(signed, domain)).toBe(true);
    expect(verifyReceipt({ ...signed, receipt: { ...signed.receipt, responseHash: hashPayload('bye') } }, domain)).toBe(
      false,
    );
    expect(
      verifyReceipt(
        { ...signed, receipt: { ...signed.receipt, usage: { ...signed.receipt.usage, cpuMs: 2n } } },
        domain,
      ),
    ).toBe(false);
    expect(verifyReceipt({ ...signed, receipt: { ...signed.receipt, node: provider.address } }, domain)).toBe(false);
    expect(verifyReceipt({ ...signed, receipt: { ...signed.receipt, timestamp: 0n } }, domain)).toBe(false);
  });

  it('checks the hashes are 32 bytes', async () => {
    await expect(signReceipt(node, { ...input, requestHash: '0x1234' }, domain)).rejects.toThrow(RangeError);
  });
});

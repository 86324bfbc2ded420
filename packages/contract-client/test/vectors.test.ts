import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { toHex } from '../src/bytes.js';
import {
  certifyNode,
  decryptBytes,
  encryptBytes,
  getEncryptionPublicKey,
  hashNodeCertificate,
  hashUsageReport,
  signReceipt,
  signUsageReport,
} from '../src/index.js';

/**
 * Published test vectors (test/fixtures/vectors.json) for other implementations of the protocol
 * (an executor in another language, a Solidity verifier): every value is recomputed here.
 */
interface Vectors {
  envelope: {
    recipientPrivateKey: string;
    ephemeralPrivateKey: string;
    nonce: string;
    context: { chainId: string; contract: string; client: string; provider: string };
    plaintextUtf8: string;
    envelope: string;
  };
  eip712: {
    domain: { chainId: string; verifyingContract: string };
    providerPrivateKey: string;
    nodePrivateKey: string;
    certificate: { region: number; notAfter: string };
    certificateDigest: string;
    certificateSignature: string;
    report: Record<string, string>;
    reportDigest: string;
    reportSignature: string;
    receipt: {
      jobId: string;
      requestHash: string;
      responseHash: string;
      timestamp: string;
      usage: Record<string, string>;
    };
    receiptSignature: string;
  };
}

const vectors = JSON.parse(
  readFileSync(fileURLToPath(new URL('./fixtures/vectors.json', import.meta.url)), 'utf8'),
) as Vectors;
const bigints = (record: Record<string, string>) =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, BigInt(value)]));

describe('test vectors', () => {
  it('envelope v1', () => {
    const { envelope: vector } = vectors;
    const context = { ...vector.context, chainId: BigInt(vector.context.chainId) };
    const plaintext = new TextEncoder().encode(vector.plaintextUtf8);
    const envelope = encryptBytes(plaintext, getEncryptionPublicKey(vector.recipientPrivateKey), context, {
      ephemeralPrivateKey: vector.ephemeralPrivateKey,
      nonce: vector.nonce,
    });
    expect(toHex(envelope)).toBe(vector.envelope);
    expect(new TextDecoder().decode(decryptBytes(vector.envelope, vector.recipientPrivateKey, context))).toBe(
      vector.plaintextUtf8,
    );
  });

  it('EIP-712 certificate, usage report and receipt (RFC 6979 signatures)', async () => {
    const { eip712: vector } = vectors;
    const domain = { ...vector.domain, chainId: BigInt(vector.domain.chainId) };
    const provider = new Wallet(vector.providerPrivateKey);
    const node = new Wallet(vector.nodePrivateKey);
    const certificate = await certifyNode(
      provider,
      { node: node.address, region: vector.certificate.region, notAfter: BigInt(vector.certificate.notAfter) },
      domain,
    );
    expect(hashNodeCertificate(certificate.certificate, domain)).toBe(vector.certificateDigest);
    expect(certificate.signature).toBe(vector.certificateSignature);
    const report = await signUsageReport(node, bigints(vector.report) as never, domain);
    expect(hashUsageReport(report.report, domain)).toBe(vector.reportDigest);
    expect(report.signature).toBe(vector.reportSignature);
    const receipt = await signReceipt(
      node,
      {
        ...vector.receipt,
        jobId: BigInt(vector.receipt.jobId),
        timestamp: BigInt(vector.receipt.timestamp),
        usage: bigints(vector.receipt.usage) as never,
      },
      domain,
    );
    expect(receipt.signature).toBe(vector.receiptSignature);
  });
});

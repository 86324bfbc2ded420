/**
 * Benchmarks of @mu/contract-client: protocol crypto throughput and settlement gas on anvil.
 * Writes bench-results/contract-client.json at the repository root and prints a table.
 * Run: npm run bench -w @mu/contract-client
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import {
  buildSettlements,
  certifyNode,
  createJob,
  decryptJobSpec,
  encryptJobSpec,
  generateEncryptionKey,
  generateNodeKey,
  type SignedUsageReport,
  settleUsage,
  signReceipt,
  signUsageReport,
  verifyUsageReport,
} from '../src/index.js';
import { sampleContext, sampleSpec } from '../test/fixtures/job-spec.js';
import { startNetwork } from '../test/fixtures/network.js';

interface Row {
  name: string;
  value: number;
  unit: string;
}
const rows: Row[] = [];

async function throughput(name: string, run: () => unknown, minimumMs = 1500): Promise<void> {
  for (let index = 0; index < 20; index++) await run();
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < minimumMs) {
    await run();
    count++;
  }
  const elapsed = performance.now() - start;
  rows.push({ name, value: Math.round((count / elapsed) * 1000), unit: 'ops/s' });
}

const key = generateEncryptionKey();
const envelope = encryptJobSpec(sampleSpec, key.publicKey, sampleContext);
const domain = { chainId: 31337n, verifyingContract: sampleContext.contract };
const node = generateNodeKey();
const report = {
  jobId: 1n,
  sequence: 1n,
  periodStart: 1_700_000_000n,
  periodEnd: 1_700_000_060n,
  requests: 100n,
  cpuMs: 100n,
  memoryMbMs: 100n,
  kvReads: 1n,
  kvWrites: 1n,
  egressBytes: 1n,
};
const signed = await signUsageReport(node, report, domain);

await throughput(`encryptJobSpec (${envelope.length} B envelope)`, () =>
  encryptJobSpec(sampleSpec, key.publicKey, sampleContext),
);
await throughput('decryptJobSpec', () => decryptJobSpec(envelope, key.privateKey, sampleContext));
await throughput('signUsageReport (ethers Wallet)', () => signUsageReport(node, report, domain));
await throughput('verifyUsageReport', () => verifyUsageReport(signed, domain));
await throughput('signReceipt', () =>
  signReceipt(
    node,
    {
      jobId: 1n,
      requestHash: `0x${'11'.repeat(32)}`,
      responseHash: `0x${'22'.repeat(32)}`,
      timestamp: 1n,
      usage: { cpuMs: 1n, memoryMbMs: 1n, kvReads: 0n, kvWrites: 0n, egressBytes: 1n },
    },
    domain,
  ),
);

// Browser bundle sizes (esbuild, platform browser, minified; ethers and noble included).
const packageDirectory = fileURLToPath(new URL('..', import.meta.url));
for (const [name, exports] of [
  ['whole entry', '*'],
  ['createMuClient + createJob + watchJobs', '{ createMuClient, createJob, watchJobs }'],
  [
    'job spec crypto (generateEncryptionKey, encryptJobSpec, decryptJobSpec)',
    '{ generateEncryptionKey, encryptJobSpec, decryptJobSpec }',
  ],
] as const) {
  const result = await build({
    stdin: { contents: `export ${exports} from './src/index.ts';`, resolveDir: packageDirectory, loader: 'ts' },
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    alias: { '@mu/contracts': fileURLToPath(new URL('../../../contracts/src/index.ts', import.meta.url)) },
  });
  const bytes = result.outputFiles[0]!.contents;
  rows.push({ name: `browser bundle: ${name}, minified`, value: Math.round(bytes.length / 1024), unit: 'KiB' });
  rows.push({ name: `browser bundle: ${name}, gzip`, value: Math.round(gzipSync(bytes).length / 1024), unit: 'KiB' });
}

// Gas on anvil.
const net = await startNetwork();
try {
  const { receipt } = await createJob(net.client, {
    provider: net.wallets.provider.address,
    region: 1,
    encryptedSpec: net.envelope(),
    prepayment: 10n ** 11n,
  });
  rows.push({
    name: `createJob gas (${net.envelope().length} B envelope, approve path)`,
    value: Number(receipt.gasUsed),
    unit: 'gas',
  });
  const jobId = BigInt(net.mu.regions.length > 0 ? 1 : 0);
  let sequence = 1n;
  const reportsFor = async (count: number, nodes = [net.nodeKey]) => {
    const out: SignedUsageReport[] = [];
    for (let index = 0; index < count; index++) {
      const signer = nodes[index % nodes.length]!;
      out.push(await signUsageReport(signer, { ...report, jobId, sequence: sequence++ }, net.domain));
    }
    return out;
  };
  for (const count of [1, 10, 100, 200]) {
    const reports = await reportsFor(count);
    const start = performance.now();
    const { settlements } = buildSettlements(reports, [net.certificate], { domain: net.domain });
    const buildMs = performance.now() - start;
    const { receipt: settled } = await settleUsage(net.other, settlements[0]!);
    rows.push({
      name: `settleUsage gas per report, batch of ${count} (1 node)`,
      value: Math.round(Number(settled.gasUsed) / count),
      unit: 'gas',
    });
    if (count === 100)
      rows.push({ name: 'buildSettlements of 100 reports with verification', value: Math.round(buildMs), unit: 'ms' });
  }
  const nodes = [net.nodeKey, ...Array.from({ length: 9 }, () => generateNodeKey())];
  const certificates = [
    net.certificate,
    ...(await Promise.all(
      nodes
        .slice(1)
        .map((each) =>
          certifyNode(net.wallets.provider, { node: each.address, region: 1, notAfter: 4_000_000_000n }, net.domain),
        ),
    )),
  ];
  const spread = await reportsFor(100, nodes);
  const { settlements } = buildSettlements(spread, certificates);
  const { receipt: settled } = await settleUsage(net.other, settlements[0]!);
  rows.push({
    name: 'settleUsage gas per report, batch of 100 (10 nodes)',
    value: Math.round(Number(settled.gasUsed) / 100),
    unit: 'gas',
  });
} finally {
  await net.anvil.stop();
}

const result = {
  benchmark: 'contract-client',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  results: rows,
};
const directory = fileURLToPath(new URL('../../../bench-results/', import.meta.url));
mkdirSync(directory, { recursive: true });
writeFileSync(`${directory}contract-client.json`, `${JSON.stringify(result, null, 2)}\n`);
console.table(rows);
console.log(JSON.stringify(result));

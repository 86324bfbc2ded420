import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Contract, type ContractTransactionReceipt, id, Signature, Wallet } from 'ethers';
import { contractsRoot } from '../scripts/compile.js';
import { deployMu, encodeUsageReports, type UsageReport } from '../src/index.js';
import { startAnvil } from '../test/helpers/chain.js';
import {
  createJob,
  domainOf,
  encryptionKey,
  fund,
  ONE,
  prices,
  registerProvider,
  send,
  signCertificate,
  signReport,
  UNBONDING,
  usage,
  WINDOW,
} from '../test/helpers/mu.js';

// Gas of every user-facing transaction, from receipts on a real anvil (cancun). The headline figure is
// settleUsage with 50 reports for 50 different jobs, each settled once before (steady state: every
// (job, node) sequence slot and escrow slot already non-zero).
const chain = await startAnvil({ accounts: 10 });
const results: Record<string, number> = {};
const record = (name: string, receipt: ContractTransactionReceipt) => {
  results[name] = Number(receipt.gasUsed);
};
try {
  const [deployer, treasury, providerWallet, client, submitter, secondProvider] = chain.wallets;
  const mu = await deployMu(deployer!, { treasury: treasury!.address, regions: ['eu-west'] });
  const marketplace = (signer: Wallet | typeof deployer) => mu.marketplace.connect(signer!) as Contract;
  const domain = domainOf(mu);

  await fund(mu, secondProvider!, 100n * ONE);
  record(
    'registerProvider',
    await send(
      marketplace(secondProvider),
      'registerProvider',
      encryptionKey(secondProvider!),
      'ipfs://meta',
      100n * ONE,
    ),
  );
  record('setOffer', await send(marketplace(secondProvider), 'setOffer', 1, 'https://gw.example', prices()));
  await registerProvider(mu, providerWallet!);

  await fund(mu, client!, 10_000n * ONE);
  record(
    'createJob (first job of its client and provider, 300-byte spec)',
    await send(marketplace(client), 'createJob', providerWallet!.address, 1, `0x${'ab'.repeat(300)}`, 10n * ONE),
  );
  // permit variant
  const deadline = BigInt(Number.MAX_SAFE_INTEGER);
  const tokenDomain = {
    name: 'Mu Test USD',
    version: '1',
    chainId: mu.chainId,
    verifyingContract: mu.tokenAddress,
  };
  const permit = Signature.from(
    await client!.signTypedData(
      tokenDomain,
      {
        Permit: [
          { name: 'owner', type: 'address' },
          { name: 'spender', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'nonce', type: 'uint256' },
          { name: 'deadline', type: 'uint256' },
        ],
      },
      {
        owner: client!.address,
        spender: mu.marketplaceAddress,
        value: 10n * ONE,
        nonce: 0n,
        deadline,
      },
    ),
  );
  await send(mu.token.connect(client!) as Contract, 'approve', mu.marketplaceAddress, 0n);
  record(
    'createJobWithPermit',
    await send(
      marketplace(client),
      'createJobWithPermit',
      providerWallet!.address,
      1,
      `0x${'ab'.repeat(300)}`,
      10n * ONE,
      deadline,
      permit.v,
      permit.r,
      permit.s,
    ),
  );
  await send(mu.token.connect(client!) as Contract, 'approve', mu.marketplaceAddress, 10_000n * ONE);
  record(
    'createJob (a later job of the same client and provider)',
    await send(marketplace(client), 'createJob', providerWallet!.address, 1, `0x${'ab'.repeat(300)}`, 10n * ONE),
  );
  record('topUp', await send(marketplace(client), 'topUp', 1n, ONE));

  const node = new Wallet(id('bench-node'));
  const certificate = await signCertificate(providerWallet!, domain, {
    node: node.address,
    provider: providerWallet!.address,
    region: 1,
    notAfter: 4_000_000_000n,
  });
  const settle = async (reports: UsageReport[]) => {
    const packed = encodeUsageReports(
      await Promise.all(
        reports.map(async (report) => ({
          certificateIndex: 0,
          report,
          signature: await signReport(node, domain, report),
        })),
      ),
    );
    return send(marketplace(submitter), 'settleUsage', [certificate], packed);
  };
  record('settleUsage (1 report, first for its job and node)', await settle([usage(1n, node.address, 1n)]));
  record('settleUsage (1 report, steady state)', await settle([usage(1n, node.address, 2n)]));

  const jobs: bigint[] = [];
  for (let index = 0; index < 50; index++) {
    jobs.push(await createJob(mu, client!, providerWallet!.address, 1, 10n * ONE));
  }
  const first = await settle(jobs.map((job) => usage(job, node.address, 1n)));
  record('settleUsage (50 reports, 50 jobs, first settlement)', first);
  results['settleUsage (50 reports, 50 jobs, first settlement) per report'] = Math.round(Number(first.gasUsed) / 50);
  const steady = await settle(jobs.map((job) => usage(job, node.address, 2n)));
  record('settleUsage (50 reports, 50 jobs, steady state)', steady);
  results['settleUsage (50 reports, 50 jobs, steady state) per report'] = Math.round(Number(steady.gasUsed) / 50);
  // Worst case for the packed sequence words: 50 jobs whose ids fall in 50 different groups of four
  // (as when job ids of many providers interleave).
  await send(mu.token, 'mint', client!.address, 2_000n * ONE);
  await send(mu.token.connect(client!) as Contract, 'approve', mu.marketplaceAddress, 2_000n * ONE);
  const spread: bigint[] = [];
  for (let index = 0; index < 200; index++) {
    const receipt = await send(marketplace(client), 'createJob', providerWallet!.address, 1, '0x01', 5n * ONE);
    const jobId = BigInt(receipt.logs.find((log) => log.address === mu.marketplaceAddress)!.topics[1]!);
    if (index % 4 === 0) spread.push(jobId);
  }
  await settle(spread.map((job) => usage(job, node.address, 1n)));
  const interleaved = await settle(spread.map((job) => usage(job, node.address, 2n)));
  record('settleUsage (50 reports, 50 jobs in 50 sequence words, steady state)', interleaved);
  results['settleUsage (50 reports, 50 jobs in 50 sequence words, steady state) per report'] = Math.round(
    Number(interleaved.gasUsed) / 50,
  );
  const sameJob = await settle(Array.from({ length: 50 }, (_, index) => usage(1n, node.address, 3n + BigInt(index))));
  results['settleUsage (50 reports, 1 job, steady state) per report'] = Math.round(Number(sameJob.gasUsed) / 50);

  record('revokeNode', await send(marketplace(providerWallet), 'revokeNode', new Wallet(id('old-node')).address));
  record('cancelJob', await send(marketplace(client), 'cancelJob', 1n));
  await chain.increaseTime(WINDOW + 1n);
  record('claimRefund (client refund)', await send(marketplace(client), 'claimRefund', 1n));
  record('withdraw (provider earnings)', await send(marketplace(providerWallet), 'withdraw'));
  record('withdrawFees (treasury)', await send(marketplace(treasury), 'withdrawFees'));
  record('startUnbonding', await send(marketplace(secondProvider), 'startUnbonding', 100n * ONE));
  await chain.increaseTime(UNBONDING + 1n);
  record('withdrawDeposit (provider deposit)', await send(marketplace(secondProvider), 'withdrawDeposit'));
} finally {
  await chain.stop();
}

const output = {
  benchmark: 'contracts-gas',
  machine: `Node ${process.version}, ${process.platform}/${process.arch}, anvil --hardfork cancun`,
  goal: 'settleUsage ≤ 25,000 gas per report in a 50-report batch for 50 jobs in steady state',
  gasUsed: results,
};
const folder = join(contractsRoot, '..', 'bench-results');
mkdirSync(folder, { recursive: true });
writeFileSync(join(folder, 'contracts-gas.json'), `${JSON.stringify(output, null, 2)}\n`);
console.table(Object.entries(results).map(([operation, gas]) => ({ operation, gas })));
console.log(JSON.stringify(output));

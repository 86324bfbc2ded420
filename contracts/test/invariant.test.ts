import { type Contract, id, Signature, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployMu, encodeUsageReports, type MuDeployment, type UsageReport } from '../src/index.js';
import { type Chain, startAnvil } from './helpers/chain.js';
import {
  deployFixture,
  domainOf,
  encryptionKey,
  MIN_DEPOSIT,
  ONE,
  prices,
  read,
  type SignedCertificate,
  send,
  signCertificate,
  signReport,
  usage,
} from './helpers/mu.js';

// Seeded random sequences of every kind of action; after each step the marketplace's token balance must equal
// the sum of what it owes (deposits, unbonding, escrows, credits, protocol fees), and nobody may ever withdraw
// more than was credited to them (or deposited, or escrowed).
const SEEDS = [1, 2, 3, 4, 5];
const STEPS = 200;

let chain: Chain;
let mu: MuDeployment;
let lens: Contract;
let base: string;
const allCounts: Record<string, number> = {};

function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (below: number) => Math.floor(next() * below),
    pick: <T>(items: readonly T[]): T | undefined => items[Math.floor(next() * items.length)],
    chance: (probability: number) => next() < probability,
    amount: (max: bigint) => (BigInt(Math.floor(next() * 1_000_000)) * max) / 1_000_000n + 1n,
  };
}

beforeAll(async () => {
  chain = await startAnvil({ accounts: 8 });
  mu = await deployMu(chain.wallets[0]!, {
    treasury: chain.addresses[1]!,
    regions: ['eu-west', 'us-east'],
    settlementWindow: 3_600n,
    unbondingDelay: 7_200n,
  });
  lens = await deployFixture(chain.wallets[0]!, 'InvariantLens');
  // everyone holds plenty of tokens and has approved the marketplace once
  for (const wallet of chain.wallets.slice(2)) {
    await send(mu.token, 'mint', wallet.address, 1_000_000n * ONE);
    await send(mu.token.connect(wallet) as Contract, 'approve', mu.marketplaceAddress, 1_000_000n * ONE);
  }
  base = await chain.snapshot();
});

afterAll(async () => {
  await chain?.stop();
});

interface JobState {
  id: bigint;
  provider: number;
  client: number;
  region: number;
  cancelled: boolean;
  funded: bigint;
}

interface NodeState {
  provider: number;
  wallet: Wallet;
  certificates: Record<number, SignedCertificate>;
  revoked: boolean;
}

describe('invariant: the marketplace always holds exactly what it owes', () => {
  for (const seed of SEEDS) {
    // about 3 s per seed on an idle 2-core machine; the timeout leaves room for a loaded one
    it(`holds after ${STEPS} random steps (seed ${seed})`, { timeout: 120_000 }, async () => {
      await chain.revert(base);
      base = await chain.snapshot();
      const rng = random(seed);
      const wallets = chain.wallets;
      const market = (index: number) => mu.marketplace.connect(wallets[index]!) as Contract;
      const providers = [2, 3, 4];
      const clients = [5, 6];
      const prover = 7;
      const accounts = [...providers, prover];
      const registered = new Set<number>();
      const jobs: JobState[] = [];
      const nodes: NodeState[] = [];
      const sequences = new Map<string, bigint>();
      const credited = new Map<number, bigint>();
      const withdrawn = new Map<number, bigint>();
      const deposited = new Map<number, bigint>();
      const depositWithdrawn = new Map<number, bigint>();
      let lastCredits = accounts.map(() => 0n);
      const counts: Record<string, number> = {};
      const domain = domainOf(mu);

      const tokenBalance = (index: number) => read<bigint>(mu.token, 'balanceOf', wallets[index]!.address);
      const attempt = async (name: string, run: () => Promise<unknown>) => {
        try {
          await run();
          counts[name] = (counts[name] ?? 0) + 1;
          return true;
        } catch (error) {
          // a refused action is fine (its precondition did not hold) as long as it reverted with our custom error
          const data = (error as { data?: string }).data;
          expect(typeof data === 'string' && data.length >= 10, `${name}: ${(error as Error).message}`).toBe(true);
          counts[`${name} (refused)`] = (counts[`${name} (refused)`] ?? 0) + 1;
          return false;
        }
      };
      const signedReport = async (node: NodeState, report: UsageReport) => {
        const signature = Signature.from(await signReport(node.wallet, domain, report));
        return { r: signature.r, vs: signature.yParityAndS };
      };

      for (let step = 0; step < STEPS; step++) {
        const action = rng.int(14);
        const openJobs = jobs.filter((job) => !job.cancelled);
        if (action === 0 || registered.size === 0) {
          const provider = rng.pick(providers.filter((index) => !registered.has(index)));
          if (provider !== undefined) {
            const deposit = MIN_DEPOSIT + rng.amount(100n * ONE);
            await attempt('register', async () => {
              await send(market(provider), 'registerProvider', encryptionKey(wallets[provider]!), 'ipfs://p', deposit);
              await send(market(provider), 'setOffer', 1, 'https://gw/1', prices());
              await send(market(provider), 'setOffer', 2, 'https://gw/2', prices({ perRequest: 1_000_000_000n }));
            });
            registered.add(provider);
            deposited.set(provider, (deposited.get(provider) ?? 0n) + deposit);
          }
        } else if (action === 1) {
          const provider = rng.pick([...registered])!;
          const wallet = new Wallet(id(`seed-${seed}-node-${nodes.length}`));
          const node: NodeState = { provider, wallet, certificates: {}, revoked: false };
          for (const region of [1, 2]) {
            node.certificates[region] = await signCertificate(wallets[provider]!, domain, {
              node: wallet.address,
              provider: wallets[provider]!.address,
              region,
              notAfter: 4_000_000_000n,
            });
          }
          nodes.push(node);
          counts.certify = (counts.certify ?? 0) + 1;
        } else if (action === 2) {
          const node = rng.pick(nodes.filter((entry) => !entry.revoked));
          if (node && rng.chance(0.5)) {
            await attempt('revoke', () => send(market(node.provider), 'revokeNode', node.wallet.address));
            node.revoked = true;
          }
        } else if (action === 3 || action === 4) {
          const provider = rng.pick([...registered])!;
          const client = rng.pick(clients)!;
          const region = 1 + rng.int(2);
          const prepayment = rng.amount(50n * ONE);
          await attempt('createJob', async () => {
            await send(market(client), 'createJob', wallets[provider]!.address, region, '0x1234', prepayment);
            const id = (await read<bigint>(mu.marketplace, 'jobCount')) as bigint;
            jobs.push({ id, provider, client, region, cancelled: false, funded: prepayment });
          });
        } else if (action === 5) {
          const job = rng.pick(openJobs);
          if (job) {
            const amount = rng.amount(10n * ONE);
            if (await attempt('topUp', () => send(market(rng.pick(clients)!), 'topUp', job.id, amount)))
              job.funded += amount;
          }
        } else if (action === 6 || action === 7 || action === 8) {
          const batch: { certificateIndex: number; report: UsageReport; signature: string }[] = [];
          const certificates: SignedCertificate[] = [];
          for (let index = 0; index < 1 + rng.int(4); index++) {
            // mostly open jobs; sometimes a cancelled one (inside or past its settlement window)
            const job = rng.pick(rng.chance(0.9) && openJobs.length > 0 ? openJobs : jobs);
            const node = job && rng.pick(nodes.filter((entry) => entry.provider === job.provider && !entry.revoked));
            if (!job || !node) continue;
            const key = `${job.id}/${node.wallet.address}`;
            const sequence = (sequences.get(key) ?? 0n) + 1n;
            sequences.set(key, sequence);
            const huge = rng.chance(0.1);
            const report = usage(job.id, node.wallet.address, sequence, {
              requests: huge ? 100_000_000_000n : BigInt(rng.int(100_000)),
              cpuMs: BigInt(rng.int(1_000_000)),
              egressBytes: BigInt(rng.int(10_000_000)),
            });
            certificates.push(node.certificates[job.region]!);
            batch.push({
              certificateIndex: certificates.length - 1,
              report,
              signature: await signReport(node.wallet, domain, report),
            });
          }
          if (batch.length > 0) {
            await attempt('settleUsage', () =>
              send(market(rng.pick(clients)!), 'settleUsage', certificates, encodeUsageReports(batch)),
            );
          }
        } else if (action === 9) {
          const job = rng.pick(openJobs);
          if (job) {
            const by = rng.chance(0.8) ? job.client : job.provider;
            if (await attempt('cancelJob', () => send(market(by), 'cancelJob', job.id))) job.cancelled = true;
          }
        } else if (action === 10) {
          const job = rng.pick(jobs.filter((entry) => entry.cancelled));
          if (job) {
            if (rng.chance(0.5)) await chain.increaseTime(3_601);
            const before = await tokenBalance(job.client);
            if (await attempt('claimRefund', () => send(market(rng.pick(clients)!), 'claimRefund', job.id))) {
              const refund = (await tokenBalance(job.client)) - before;
              expect(refund).toBeLessThanOrEqual(job.funded);
              job.funded = 0n;
            }
          }
        } else if (action === 11) {
          const account = rng.pick(accounts)!;
          const before = await tokenBalance(account);
          if (await attempt('withdraw', () => send(market(account), 'withdraw'))) {
            withdrawn.set(account, (withdrawn.get(account) ?? 0n) + (await tokenBalance(account)) - before);
          }
          if (rng.chance(0.3)) await attempt('withdrawFees', () => send(market(prover), 'withdrawFees'));
        } else if (action === 12) {
          const job = rng.pick(jobs);
          const node = job && rng.pick(nodes.filter((entry) => entry.provider === job.provider && !entry.revoked));
          if (job && node && rng.chance(0.3)) {
            const sequence = BigInt(1_000 + step);
            const first = usage(job.id, node.wallet.address, sequence);
            const second = usage(job.id, node.wallet.address, sequence, { requests: 7n });
            const proved = await attempt('proveEquivocation', async () =>
              send(
                market(prover),
                'proveEquivocation',
                node.certificates[job.region]!,
                first,
                await signedReport(node, first),
                second,
                await signedReport(node, second),
              ),
            );
            if (proved) node.revoked = true;
          }
        } else {
          const provider = rng.pick([...registered])!;
          const choice = rng.int(3);
          if (choice === 0) {
            const amount = rng.amount(30n * ONE);
            await attempt('startUnbonding', () => send(market(provider), 'startUnbonding', amount));
          } else if (choice === 1) {
            const amount = rng.amount(50n * ONE);
            if (await attempt('addDeposit', () => send(market(provider), 'addDeposit', amount))) {
              deposited.set(provider, (deposited.get(provider) ?? 0n) + amount);
            }
          } else {
            if (rng.chance(0.5)) await chain.increaseTime(7_201);
            const before = await tokenBalance(provider);
            if (await attempt('withdrawDeposit', () => send(market(provider), 'withdrawDeposit'))) {
              const amount = (await tokenBalance(provider)) - before;
              depositWithdrawn.set(provider, (depositWithdrawn.get(provider) ?? 0n) + amount);
              expect(depositWithdrawn.get(provider)!).toBeLessThanOrEqual(deposited.get(provider)!);
            }
          }
        }

        const [total, balance, credits] = (await lens.getFunction('liabilities').staticCall(
          mu.marketplaceAddress,
          providers.map((index) => wallets[index]!.address),
          jobs.map((job) => job.id),
          accounts.map((index) => wallets[index]!.address),
        )) as [bigint, bigint, bigint[]];
        expect(balance, `seed ${seed} step ${step} action ${action}`).toBe(total);
        accounts.forEach((account, index) => {
          const now = credits[index]!;
          const previous = lastCredits[index]!;
          if (now > previous) credited.set(account, (credited.get(account) ?? 0n) + now - previous);
          expect(withdrawn.get(account) ?? 0n).toBeLessThanOrEqual(credited.get(account) ?? 0n);
        });
        lastCredits = [...credits];
      }
      for (const [name, count] of Object.entries(counts)) allCounts[name] = (allCounts[name] ?? 0) + count;
      // the run exercised the protocol, not just refusals
      for (const name of ['createJob', 'settleUsage', 'withdraw', 'cancelJob', 'claimRefund']) {
        expect(counts[name] ?? 0, `${name} never succeeded: ${JSON.stringify(counts)}`).toBeGreaterThan(0);
      }
    });
  }

  it('exercised every action across the seeds', () => {
    const actions = ['register', 'certify', 'revoke', 'createJob', 'topUp', 'settleUsage', 'cancelJob', 'claimRefund'];
    actions.push('withdraw', 'withdrawFees', 'proveEquivocation', 'startUnbonding', 'addDeposit', 'withdrawDeposit');
    for (const name of actions)
      expect(allCounts[name] ?? 0, `${name}: ${JSON.stringify(allCounts)}`).toBeGreaterThan(0);
  });
});

import { deployJob, type JobSpec, mintTestToken } from '@mu/contract-client';
import type { AppName, BuiltApp } from '@mu/example-apps';
import { DEFAULT_APP_LIMITS } from '@mu/runtime';
import type { LocalChain } from './chain-setup.js';

/** One job of the network. */
export interface NetworkJob {
  app: AppName;
  jobId: bigint;
  endpoint: string;
  spec: JobSpec;
}

/**
 * As the client: mints it ten times the prepayments, then creates one prepaid job per app (ERC-2612 permit, the
 * spec encrypted to the provider), its code at the code server.
 */
export async function createAppJobs(
  chain: LocalChain,
  apps: Record<AppName, BuiltApp>,
  urls: { codeServer: string; gateway: string },
  prepayment: Partial<Record<AppName, bigint>> = {},
): Promise<NetworkJob[]> {
  const prepayments: Record<AppName, bigint> = {
    hello: prepayment.hello ?? 10_000_000n,
    counter: prepayment.counter ?? 10_000_000n,
    todo: prepayment.todo ?? 10_000_000n,
  };
  const total = Object.values(prepayments).reduce((sum, amount) => sum + amount, 0n);
  await mintTestToken(chain.clients.admin, { to: chain.client.address, amount: total * 10n });
  const jobs: NetworkJob[] = [];
  for (const app of Object.values(apps)) {
    const spec: JobSpec = {
      version: 1,
      name: app.name,
      code: { sha256: app.sha256, url: `${urls.codeServer}/code/${app.sha256}.wasm`, size: app.size },
      env: { GREETING: 'hello from Mu' },
      // The runtime's defaults, with a shorter deadline so a stuck local request answers quickly.
      limits: { ...DEFAULT_APP_LIMITS, timeoutMs: 5_000 },
    };
    const { jobId } = await deployJob(chain.clients.client, {
      provider: chain.provider.address,
      region: chain.region,
      spec,
      prepayment: prepayments[app.name],
      permit: true,
    });
    jobs.push({ app: app.name, jobId, endpoint: `${urls.gateway}/${jobId}`, spec });
  }
  return jobs;
}

// The local Mu network: everything on 127.0.0.1, prints the endpoints, a status line while it runs, and stops
// every process it started on Ctrl-C. Started by `npm start` through start.ts.
import { getCredits, getJob } from '@mu/contract-client';
import { type Network, startNetwork } from './network.js';

const periodMs = Number(process.env.MU_PERIOD_MS ?? 10_000);
const statusIntervalMs = Number(process.env.MU_STATUS_INTERVAL_MS ?? 10_000);
const began = Date.now();
const say = (message: string) => process.stdout.write(`${message}\n`);

let network: Network | undefined;
let stopping = false;
const starting = new AbortController();

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (network === undefined) {
    // still starting: the start-up stops at its next step and stops what it started (see below)
    say(`\n${signal}: stopping the start-up…`);
    starting.abort();
    return;
  }
  say(`\n${signal}: stopping every process (nodes flush their usage first)…`);
  const pids = network?.pids() ?? [];
  await network?.stop();
  const alive = pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  say(
    alive.length === 0
      ? `stopped ${pids.length} processes; nothing left running.`
      : `still running: ${alive.join(', ')}`,
  );
  process.exit(alive.length === 0 ? 0 : 1);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  network = await startNetwork({
    periodMs,
    keepData: process.env.MU_KEEP_DATA === '1',
    onProgress: (message) => say(`· ${message}`),
    signal: starting.signal,
  });
} catch (error) {
  if (starting.signal.aborted) {
    say('stopped everything that had started.');
    process.exit(0);
  }
  process.stderr.write(
    `npm start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
}
if (stopping) {
  // Ctrl-C came after the last step: stop now
  stopping = false;
  await shutdown('SIGINT');
}

const n = network;
say('');
say(`Mu local network ready in ${((Date.now() - began) / 1000).toFixed(1)} s`);
say(`  chain       ${n.rpcUrl} (chain id ${n.chainId})`);
say(`  marketplace ${n.marketplace}   token ${n.token}`);
say(`  gateway     ${n.gatewayUrl}   nodes ${n.nodes.map((node) => node.url).join(', ')}`);
say(`  logs        ${n.dataDir}/logs`);
say('');
for (const job of n.jobs) {
  say(`  ${job.app.padEnd(8)} job ${job.jobId}  ${job.endpoint}/`);
  if (job.app === 'hello') say(`           curl ${job.endpoint}/you`);
  if (job.app === 'counter') say(`           curl -X POST ${job.endpoint}/visits && curl ${job.endpoint}/visits`);
  if (job.app === 'todo') {
    say(
      `           curl -X POST -d '{"title":"try Mu"}' ${job.endpoint}/todos/mine && curl ${job.endpoint}/todos/mine`,
    );
  }
}
say('');
say(`Usage is reported every ${periodMs / 1000} s and settled on chain. Ctrl-C stops everything.`);

const formatTokens = (amount: bigint) => `${amount / 1_000_000n}.${String(amount % 1_000_000n).padStart(6, '0')}`;
async function statusLine(): Promise<string> {
  let served = 0;
  let pending = 0;
  let settled = 0;
  for (const node of n.nodes) {
    try {
      const status = (await fetch(`${node.nodeUrl}/_mu/status`).then((response) => response.json())) as {
        requestsServed: number;
        usage: { pending: number; settled: number };
      };
      served += status.requestsServed;
      pending += status.usage.pending;
      settled += status.usage.settled;
    } catch {
      // a node that is down is shown by its missing count
    }
  }
  const credits = await getCredits(n.clients.client, { account: n.provider.address });
  const escrows = await Promise.all(
    n.jobs.map(
      async (job) => `${job.app} ${formatTokens((await getJob(n.clients.client, { jobId: job.jobId })).escrow)}`,
    ),
  );
  return `[${new Date().toISOString().slice(11, 19)}] requests served ${served} · usage reports settled ${settled} (pending ${pending}) · provider earned ${formatTokens(credits)} · escrow left: ${escrows.join(', ')}`;
}
setInterval(() => {
  if (stopping) return;
  statusLine().then(say, (error: unknown) => say(`status unavailable: ${String(error)}`));
}, statusIntervalMs);

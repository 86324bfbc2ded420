// The `mu` toolkit against the local network (issue 9: "the chain commands against the local network"): a
// developer scaffolds and builds an app, finds the provider, deploys with one permit transaction, and the
// provider's nodes serve it through the gateway.

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { waitUntil } from '@mu/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Network, startNetwork } from '../src/index.js';

const require = createRequire(import.meta.url);
const tsx = pathToFileURL(require.resolve('tsx')).href;
const muBin = fileURLToPath(new URL('../../../packages/cli/src/bin.ts', import.meta.url));

let network: Network;
let scratch: string;
let codeServer: Server;
let codeBase: string;

interface MuRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mu` from source as a child process, as the client account, with no MU_* from the machine. */
function mu(args: string[], cwd: string): Promise<MuRun> {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('MU_')) env[name] = value;
  Object.assign(env, {
    MU_RPC_URL: network.rpcUrl,
    MU_MARKETPLACE: network.marketplace,
    MU_PRIVATE_KEY: network.client.privateKey,
  });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, muBin, ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mu ${args.join(' ')} did not finish:\n${stderr}`));
    }, 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  network = await startNetwork({ periodMs: 1_500 });
  scratch = await mkdtemp(join(tmpdir(), 'mu-cli-network-'));
  // Where the developer uploads code: a plain static folder on 127.0.0.1 that the nodes fetch from.
  codeServer = createServer(async (request, response) => {
    const name = (request.url ?? '').slice(1);
    if (!/^[0-9a-f]{64}\.wasm$/.test(name)) return void response.writeHead(404).end();
    try {
      const bytes = await readFile(join(scratch, 'code', name));
      response.writeHead(200, { 'content-type': 'application/wasm', 'content-length': bytes.length }).end(bytes);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => codeServer.listen(0, '127.0.0.1', resolve));
  codeBase = `http://127.0.0.1:${(codeServer.address() as { port: number }).port}`;
}, 180_000);

afterAll(async () => {
  await new Promise((resolve) => codeServer?.close(resolve));
  await network?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('mu against the local network', () => {
  it('scaffolds, builds, finds the provider, deploys in one transaction, and the nodes serve the app', async () => {
    expect((await mu(['new', 'greeter', '--template', 'http'], scratch)).code).toBe(0);
    const app = join(scratch, 'greeter');
    const build = await mu(['build', '--json'], app);
    expect(build.code, build.stderr).toBe(0);

    const listing = await mu(['providers', '--region', String(network.region), '--json'], app);
    expect(listing.code, listing.stderr).toBe(0);
    const providers = JSON.parse(listing.stdout) as { providers: Array<{ provider: string; gatewayURL: string }> };
    const offer = providers.providers.find(
      (item) => item.provider.toLowerCase() === network.provider.address.toLowerCase(),
    );
    expect(offer?.gatewayURL).toBe(network.gatewayUrl);

    const deploy = await mu(
      [
        'deploy',
        '--provider',
        network.provider.address,
        '--region',
        String(network.region),
        '--prepay',
        '5',
        '--code-dir',
        join(scratch, 'code'),
        '--code-base-url',
        codeBase,
        '--json',
      ],
      app,
    );
    expect(deploy.code, deploy.stderr).toBe(0);
    const deployed = JSON.parse(deploy.stdout) as { jobId: string; endpoint: string };
    expect(deployed.endpoint).toBe(`${network.gatewayUrl}/${deployed.jobId}/`);

    // The nodes see JobCreated, decrypt the spec, fetch the code from the developer's server and serve it.
    let body = '';
    await waitUntil(
      async () => {
        const response = await fetch(`${deployed.endpoint}world`);
        body = await response.text();
        return response.status === 200;
      },
      'the nodes serving the deployed app',
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(body).toBe('hello from Mu: GET /world');

    const status = await mu(['job', 'status', deployed.jobId, '--json'], app);
    expect(status.code, status.stderr).toBe(0);
    const job = JSON.parse(status.stdout) as Record<string, unknown>;
    expect(JSON.stringify(job)).toContain(network.provider.address);
  }, 240_000);
});

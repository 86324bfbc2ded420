import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMuClient,
  decryptJobEventSpec,
  deployMu,
  getMuDomain,
  isNodeRevoked,
  type JobSpec,
  type MuClient,
  mintTestToken,
  verifyNodeCertificate,
  watchJobs,
} from '@mu/contract-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Anvil, startAnvil } from './helpers/anvil.js';
import { runMu, runMuJson } from './helpers/cli.js';

let anvil: Anvil;
let admin: MuClient;
let root: string;
let app: string;
let codeDir: string;
let codeServer: Server;
let codeBase: string;
let env: Record<string, string>;
let providerAddress: string;
let clientKey: string;
let marketplace: string;

beforeAll(async () => {
  anvil = await startAnvil();
  const [adminWallet, providerWallet, clientWallet] = anvil.wallets as [
    (typeof anvil.wallets)[0],
    (typeof anvil.wallets)[0],
    (typeof anvil.wallets)[0],
  ];
  const mu = await deployMu({
    signer: adminWallet,
    regions: ['eu-west', 'us-east'],
    minProviderDeposit: 100_000_000n,
    settlementWindow: 3600n,
  });
  marketplace = mu.marketplace;
  admin = mu.client;
  for (const wallet of [providerWallet, clientWallet]) {
    await mintTestToken(admin, { to: wallet.address, amount: 1_000_000_000n });
  }
  providerAddress = providerWallet.address;
  clientKey = clientWallet.privateKey;
  root = await mkdtemp(join(tmpdir(), 'mu-cli-chain-'));
  // The provider's key in a file (one line of hex), the client's in MU_PRIVATE_KEY.
  await writeFile(join(root, 'provider.key'), `${providerWallet.privateKey}\n`, { mode: 0o600 });
  env = { MU_RPC_URL: anvil.url, MU_MARKETPLACE: mu.marketplace };
  await runMuJson(['new', 'app'], { cwd: root });
  app = join(root, 'app');
  await runMuJson(['build'], { cwd: app });
  // A folder served over HTTP: where the local network's provider fetches code.
  codeDir = join(root, 'code');
  await mkdir(codeDir);
  codeServer = createServer(async (req, res) => {
    try {
      res.end(await readFile(join(codeDir, (req.url ?? '/').slice(1))));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => codeServer.listen(0, '127.0.0.1', resolve));
  codeBase = `http://127.0.0.1:${(codeServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => codeServer?.close(resolve));
  await anvil?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

const asProvider = (args: string[]) => runMu([...args, '--key-file', 'provider.key'], { cwd: root, env });
const asProviderJson = <T = Record<string, unknown>>(args: string[]) =>
  runMuJson<T>([...args, '--key-file', 'provider.key'], { cwd: root, env });
const asClient = (args: string[]) => runMu(args, { cwd: app, env: { ...env, MU_PRIVATE_KEY: clientKey } });
const asClientJson = <T = Record<string, unknown>>(args: string[]) =>
  runMuJson<T>(args, { cwd: app, env: { ...env, MU_PRIVATE_KEY: clientKey } });

async function specsOnChain(privateKey: string): Promise<{ type: string; spec: JobSpec }[]> {
  const reader = createMuClient({ address: marketplace, runner: anvil.provider });
  const domain = await getMuDomain(reader);
  const specs: { type: string; spec: JobSpec }[] = [];
  const toBlock = await anvil.provider.getBlockNumber();
  for await (const event of watchJobs(reader, { provider: providerAddress, region: 1, fromBlock: 0, toBlock })) {
    if (event.type === 'JobCreated' || event.type === 'JobUpdated') {
      specs.push({ type: event.type, spec: decryptJobEventSpec(event, privateKey, domain) });
    }
  }
  return specs;
}

describe('provider and developer commands against anvil', () => {
  let nodeAddress: string;

  it('registers a provider, keeping the encryption key in a 0600 file', async () => {
    const result = await asProviderJson<{ provider: string; encryptionPublicKey: string; keyFileCreated: boolean }>([
      'provider',
      'register',
      '--deposit',
      '500',
      '--metadata-uri',
      'https://provider.example/mu.json',
    ]);
    expect(result.provider).toBe(providerAddress);
    expect(result.keyFileCreated).toBe(true);
    expect(statSync(join(root, 'mu-encryption-key.json')).mode & 0o777).toBe(0o600);
    const again = await asProvider(['provider', 'register', '--deposit', '500']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('CONTRACT_ALREADY_REGISTERED');
  });

  it('opens an offer and lists it with mu providers, ranked with a usage profile', async () => {
    const offer = await asProviderJson<{ open: boolean; prices: Record<string, string> }>([
      'provider',
      'offer',
      '--region',
      'eu-west',
      '--gateway-url',
      'http://gateway.test:8080',
      '--per-request',
      '1000000',
      '--per-cpu-ms',
      '50000',
    ]);
    expect(offer.open).toBe(true);
    expect(offer.prices.perRequest).toBe('1000000');

    await writeFile(
      join(root, 'usage.json'),
      JSON.stringify({ requests: 1_000_000, cpuMs: 2_000_000, memoryMbMs: 0, kvReads: 0, kvWrites: 0, egressBytes: 0 }),
    );
    const listed = await runMuJson<{ providers: { provider: string; gatewayURL: string; cost: string }[] }>(
      ['providers', '--region', 'eu-west', '--profile', 'usage.json'],
      { cwd: root, env },
    );
    expect(listed.providers).toHaveLength(1);
    // (1e6 requests × 1e6 + 2e6 cpu-ms × 5e4) × 1e-9 = 1,100 base units = 0.0011 tokens.
    expect(listed.providers[0]).toMatchObject({
      provider: providerAddress,
      gatewayURL: 'http://gateway.test:8080',
      cost: '1100',
    });
    const text = await runMu(['providers', '--region', '1', '--profile', 'usage.json'], { cwd: root, env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(`${providerAddress}\\s+http://gateway.test:8080\\s+500\\s+0.001\\s+0.00005\\s+0\\s+0.0011`),
    );
    const empty = await runMu(['providers', '--region', 'us-east'], { cwd: root, env });
    expect(empty.stdout).toContain('No open offers in region 2.');
  });

  it('certifies a node key made by mu node keygen', async () => {
    const key = await runMuJson<{ address: string }>(['node', 'keygen', '--out', 'node-1.json'], { cwd: root });
    nodeAddress = key.address;
    await asProvider([
      'provider',
      'certify-node',
      '--node',
      nodeAddress,
      '--region',
      'eu-west',
      '--days',
      '10',
      '--out',
      'node-1.cert.json',
    ]);
    const document = JSON.parse(await readFile(join(root, 'node-1.cert.json'), 'utf8'));
    const domain = await getMuDomain(admin);
    expect(document.certificate.node).toBe(nodeAddress);
    expect(document.certificate.region).toBe(1);
    expect(
      verifyNodeCertificate(
        {
          certificate: { ...document.certificate, notAfter: BigInt(document.certificate.notAfter) },
          signature: document.signature,
        },
        domain,
      ),
    ).toBe(true);
  });

  it('deploys: copies the code where it is served, encrypts the spec to the provider and creates the job in one transaction', async () => {
    const result = await asClient([
      'deploy',
      '--provider',
      providerAddress,
      '--region',
      'eu-west',
      '--prepay',
      '5',
      '--code-dir',
      codeDir,
      '--code-base-url',
      codeBase,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    // The key is never echoed.
    expect(result.stdout + result.stderr).not.toContain(clientKey.slice(2));
    const deployed = JSON.parse(result.stdout) as {
      jobId: string;
      endpoint: string;
      code: { sha256: string; url: string };
      transaction: string;
    };
    expect(deployed.jobId).toBe('1');
    expect(deployed.endpoint).toBe('http://gateway.test:8080/1/');
    // componentize-qjs builds are not byte-reproducible: hash the file that was deployed, not a new build.
    const built = {
      sha256: createHash('sha256')
        .update(await readFile(join(app, 'dist/app.wasm')))
        .digest('hex'),
    };
    expect(deployed.code).toMatchObject({ sha256: built.sha256, url: `${codeBase}/${built.sha256}.wasm` });
    const receipt = await anvil.provider.getTransactionReceipt(deployed.transaction);
    expect(receipt?.status).toBe(1);

    const { privateKey } = JSON.parse(await readFile(join(root, 'mu-encryption-key.json'), 'utf8'));
    const [created] = await specsOnChain(privateKey);
    expect(created?.type).toBe('JobCreated');
    expect(created?.spec).toMatchObject({
      version: 1,
      name: 'app',
      env: { GREETING: 'hello' },
      code: { sha256: built.sha256, size: expect.any(Number) },
    });
  });

  it('refuses code the URL does not serve, a closed offer, an unknown region and a missing code location', async () => {
    await writeFile(join(codeDir, 'other.wasm'), 'not the build');
    const mismatch = await asClient([
      'deploy',
      '--provider',
      providerAddress,
      '--region',
      'eu-west',
      '--prepay',
      '1',
      '--code-url',
      `${codeBase}/other.wasm`,
    ]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('CLI_CODE_MISMATCH');
    const missing = await asClient([
      'deploy',
      '--provider',
      providerAddress,
      '--region',
      'eu-west',
      '--prepay',
      '1',
      '--code-url',
      `${codeBase}/missing.wasm`,
    ]);
    expect(missing.stderr).toContain('CLI_CODE_UNAVAILABLE');
    const closed = await asClient([
      'deploy',
      '--provider',
      providerAddress,
      '--region',
      'us-east',
      '--prepay',
      '1',
      '--code-url',
      'https://x.example/a.wasm',
    ]);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toContain('CLI_OFFER_NOT_OPEN');
    const region = await asClient(['deploy', '--provider', providerAddress, '--region', 'mars', '--prepay', '1']);
    expect(region.stderr).toContain(
      "CLI_UNKNOWN_REGION: No region 'mars' on this marketplace: use one of eu-west (1), us-east (2).",
    );
    const nowhere = await asClient(['deploy', '--provider', providerAddress, '--region', 'eu-west', '--prepay', '1']);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain('--code-url');
    const amount = await asClient(['deploy', '--provider', providerAddress, '--region', 'eu-west', '--prepay', 'five']);
    expect(amount.code).toBe(2);
  });

  it('shows, tops up and updates the job', async () => {
    const status = await runMuJson<{ state: string; escrow: string; endpoint: string; client: string }>(
      ['job', 'status', '1'],
      { cwd: root, env },
    );
    expect(status).toMatchObject({ state: 'active', escrow: '5000000', endpoint: 'http://gateway.test:8080/1/' });
    const topped = await asClientJson<{ escrow: string }>(['job', 'topup', '1', '--amount', '2.5']);
    expect(topped.escrow).toBe('7500000');

    const config = JSON.parse(await readFile(join(app, 'mu.json'), 'utf8'));
    await writeFile(join(app, 'mu.json'), JSON.stringify({ ...config, env: { GREETING: 'bonjour' } }));
    await asClientJson(['job', 'update', '1', '--code-dir', codeDir, '--code-base-url', codeBase]);
    const { privateKey } = JSON.parse(await readFile(join(root, 'mu-encryption-key.json'), 'utf8'));
    const specs = await specsOnChain(privateKey);
    expect(specs.at(-1)).toMatchObject({ type: 'JobUpdated', spec: { env: { GREETING: 'bonjour' } } });
  });

  it('cancels the job and withdraws the refund once the settlement window closes', async () => {
    await asClientJson(['job', 'cancel', '1']);
    const early = await asClient(['job', 'withdraw', '1']);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('CONTRACT_SETTLEMENT_WINDOW_OPEN');
    await anvil.increaseTime(3601);
    const refund = await asClientJson<{ refunded: string }>(['job', 'withdraw', '1']);
    expect(refund.refunded).toBe('7500000');
    const status = await runMuJson<{ state: string }>(['job', 'status', '1'], { cwd: root, env });
    expect(status.state).toBe('cancelled');
  });

  it('revokes a node and reports that there are no credits to withdraw', async () => {
    await asProviderJson(['provider', 'revoke-node', '--node', nodeAddress]);
    expect(await isNodeRevoked(admin, { provider: providerAddress, node: nodeAddress })).toBe(true);
    const withdraw = await asProvider(['provider', 'withdraw']);
    expect(withdraw.code).toBe(1);
    expect(withdraw.stderr).toContain('CONTRACT_NOTHING_TO_WITHDRAW');
  });

  it('unbonds part of the deposit and withdraws it after the unbonding delay', async () => {
    const unbond = await asProviderJson<{ unbonding: string }>(['provider', 'unbond', '--amount', '100']);
    expect(unbond.unbonding).toBe('100000000');
    const early = await asProvider(['provider', 'withdraw', '--deposit']);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('CONTRACT_UNBONDING_LOCKED');
    await anvil.increaseTime(7 * 86_400 + 1);
    const withdrawn = await asProviderJson<{ withdrawn: string; kind: string }>(['provider', 'withdraw', '--deposit']);
    expect(withdrawn).toMatchObject({ withdrawn: '100000000', kind: 'deposit' });
  });

  it('refuses a mu.json that makes an invalid job spec, before any transaction', async () => {
    const config = JSON.parse(await readFile(join(app, 'mu.json'), 'utf8'));
    await writeFile(join(app, 'mu.json'), JSON.stringify({ ...config, name: 'Not A Label' }));
    const result = await asClient([
      'deploy',
      '--provider',
      providerAddress,
      '--region',
      'eu-west',
      '--prepay',
      '1',
      '--code-dir',
      codeDir,
      '--code-base-url',
      codeBase,
    ]);
    await writeFile(join(app, 'mu.json'), JSON.stringify(config));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('JOB_SPEC_INVALID');
    expect(result.stderr).toContain('name');
  });

  it('says what to do without a key, without a network, or with an unreachable node', async () => {
    const noKey = await runMu(['job', 'cancel', '1'], { cwd: root, env });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('CLI_KEY_MISSING: No account key: pass --key-file <path>');
    const badKey = await runMu(['job', 'cancel', '1'], { cwd: root, env: { ...env, MU_PRIVATE_KEY: 'secret-text' } });
    expect(badKey.stderr).toContain('CLI_KEY_INVALID');
    expect(badKey.stderr).not.toContain('secret-text');
    const noNetwork = await runMu(['job', 'status', '1'], { cwd: root });
    expect(noNetwork.stderr).toContain('No JSON-RPC URL: pass --rpc <url>, set MU_RPC_URL');
    const down = await runMu(['job', 'status', '1', '--rpc', 'http://127.0.0.1:9'], { cwd: root, env });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('CLI_CHAIN_UNREACHABLE');
    const unknown = await runMu(['job', 'status', '99'], { cwd: root, env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('CONTRACT_UNKNOWN_JOB');
  });
});

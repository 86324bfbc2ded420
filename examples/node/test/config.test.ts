import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/index.js';

const nodeKey = `0x${'11'.repeat(32)}`;
const node = '0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A'; // the address of nodeKey
const signed = {
  certificate: { node, provider: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', region: 1, notAfter: '2000000000' },
  signature: `0x${'ab'.repeat(65)}`,
};
const valid = {
  rpcUrl: 'http://127.0.0.1:8545',
  marketplace: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
  nodeKey,
  encryptionKey: `0x${'22'.repeat(32)}`,
  certificate: signed,
  region: 1,
};

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function configFile(value: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mu-node-config-'));
  dirs.push(dir);
  const file = join(dir, 'node.json');
  await writeFile(file, JSON.stringify(value));
  return file;
}

function toEnv(values: typeof valid): Record<string, string> {
  return {
    MU_RPC_URL: String(values.rpcUrl),
    MU_MARKETPLACE: String(values.marketplace),
    MU_NODE_KEY: String(values.nodeKey),
    MU_ENCRYPTION_KEY: String(values.encryptionKey),
    MU_REGION: String(values.region),
  };
}

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.field;
    throw error;
  }
  return undefined;
}

describe('node config', () => {
  it('reads a file, applies defaults, and lets MU_* variables override it', async () => {
    const file = await configFile({ ...valid, mudb: 'data/mudb' });
    const config = loadConfig({ file, env: { MU_PORT: '9000', MU_PEERS: 'node-2=http://127.0.0.1:9102' } });
    expect(config).toMatchObject({
      port: 9000,
      nodePort: 8081,
      operatorKey: nodeKey,
      nodeId: node,
      periodMs: 60_000,
      settleIntervalMs: 60_000,
      peers: [{ id: 'node-2', url: 'http://127.0.0.1:9102' }],
      mudb: { kind: 'level', path: join(file, '../data/mudb') },
    });
    expect(config.certificate.certificate.notAfter).toBe(2_000_000_000n);
  });

  it('takes the whole config from the environment, the MuDB server with its credentials', () => {
    const env = {
      MU_RPC_URL: valid.rpcUrl,
      MU_MARKETPLACE: valid.marketplace,
      MU_NODE_KEY: valid.nodeKey,
      MU_ENCRYPTION_KEY: valid.encryptionKey,
      MU_CERTIFICATE: JSON.stringify(signed),
      MU_REGION: '1',
      MU_MUDB: 'tcp://127.0.0.1:7070',
      MU_MUDB_CLIENT_ID: 'node',
      MU_MUDB_SECRET: 'a-secret-of-at-least-16-bytes',
    };
    expect(loadConfig({ env }).mudb).toEqual({
      kind: 'server',
      host: '127.0.0.1',
      port: 7070,
      clientId: 'node',
      secret: 'a-secret-of-at-least-16-bytes',
    });
  });

  it('takes PostgreSQL as the shared store, with a schema', () => {
    const env = { MU_CERTIFICATE: JSON.stringify(signed), MU_MUDB: 'postgres://postgres@db.internal:5432/mu' };
    expect(loadConfig({ env: { ...env, ...toEnv(valid) } }).mudb).toEqual({
      kind: 'postgres',
      url: 'postgres://postgres@db.internal:5432/mu',
      schema: 'mudb',
    });
    expect(fieldOf(() => loadConfig({ env: { ...env, ...toEnv(valid), MU_MUDB_SCHEMA: 'Bad-Name' } }))).toBe(
      'mudbSchema',
    );
  });

  it('names the field that is missing or malformed', () => {
    const env = (overrides: Record<string, unknown>) => ({
      MU_CERTIFICATE: JSON.stringify(signed),
      ...Object.fromEntries(
        Object.entries({ ...valid, certificate: undefined, ...overrides }).flatMap(([field, value]) => {
          const names: Record<string, string> = {
            rpcUrl: 'MU_RPC_URL',
            marketplace: 'MU_MARKETPLACE',
            nodeKey: 'MU_NODE_KEY',
            encryptionKey: 'MU_ENCRYPTION_KEY',
            region: 'MU_REGION',
            port: 'MU_PORT',
            mudb: 'MU_MUDB',
            peers: 'MU_PEERS',
          };
          return names[field] && value !== undefined ? [[names[field], String(value)]] : [];
        }),
      ),
    });
    expect(fieldOf(() => loadConfig({ env: env({ rpcUrl: undefined }) }))).toBe('rpcUrl');
    expect(fieldOf(() => loadConfig({ env: env({ rpcUrl: 'ftp://x' }) }))).toBe('rpcUrl');
    expect(fieldOf(() => loadConfig({ env: env({ marketplace: '0x1234' }) }))).toBe('marketplace');
    expect(fieldOf(() => loadConfig({ env: env({ nodeKey: 'not-a-key' }) }))).toBe('nodeKey');
    expect(fieldOf(() => loadConfig({ env: env({ encryptionKey: '0x12' }) }))).toBe('encryptionKey');
    expect(fieldOf(() => loadConfig({ env: env({ region: 2 }) }))).toBe('certificate');
    expect(fieldOf(() => loadConfig({ env: env({ port: 70_000 }) }))).toBe('port');
    expect(fieldOf(() => loadConfig({ env: env({ mudb: 'tcp://host' }) }))).toBe('mudb');
    expect(fieldOf(() => loadConfig({ env: env({ mudb: 'tcp://127.0.0.1:7070' }) }))).toBe('mudbSecret');
    expect(fieldOf(() => loadConfig({ env: env({ peers: 'http://127.0.0.1:1' }) }))).toBe('peers');
    expect(fieldOf(() => loadConfig({ env: { ...env({}), MU_CERTIFICATE: '{"certificate":{}}' } }))).toBe(
      'certificate',
    );
  });

  it('refuses unknown fields in the file (a typo is not silently ignored)', async () => {
    const file = await configFile({ ...valid, prot: 8080 });
    expect(fieldOf(() => loadConfig({ file, env: {} }))).toBe('prot');
  });

  it('the CLI exits with code 2 and names the field on bad config', async () => {
    const file = await configFile({ ...valid, region: 'one' });
    const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
    const sources = fileURLToPath(new URL('../src/use-sources.mjs', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--import', sources, cli, '--config', file], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('config field "region" must be an integer');
  });
});

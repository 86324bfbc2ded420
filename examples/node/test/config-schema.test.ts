// config.schema.json, the editor's view of the node's config file, against what loadConfig accepts and refuses.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_ENV, ConfigError, loadConfig, type NodeConfigFile } from '../src/index.js';
import { type Schema, subschemas, validate } from './fixtures/json-schema.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const schema = JSON.parse(readFileSync(join(packageDir, 'config.schema.json'), 'utf8')) as Schema;
const configsDir = join(packageDir, 'configs');
const examples = readdirSync(configsDir).filter((name) => name.endsWith('.json'));
const readExample = (name: string) => JSON.parse(readFileSync(join(configsDir, name), 'utf8')) as NodeConfigFile;
const minimal = readExample('minimal.json');

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** loadConfig on `value` written to a file, with no MU_* variables: the ConfigError's field, or `undefined`. */
async function refusedField(value: unknown): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'mu-node-schema-'));
  dirs.push(dir);
  const file = join(dir, 'node.json');
  await writeFile(file, JSON.stringify(value));
  try {
    loadConfig({ file, env: {} });
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.field;
  }
}

const secret = 'a-secret-of-32-bytes-for-the-db!';
const server = { mudb: 'tcp://10.0.0.2:7070', mudbClientId: 'node-1', mudbSecret: secret };
/** Representative bad files: each is a change to the minimal example, and the field loadConfig names. */
const badInputs: [string, Record<string, unknown>, string][] = [
  ['a marketplace that is not an address', { marketplace: '0x1234' }, 'marketplace'],
  ['a node key that is too short', { nodeKey: '0xabc' }, 'nodeKey'],
  ['an RPC URL that is not http(s)', { rpcUrl: 'ftp://127.0.0.1:8545' }, 'rpcUrl'],
  ['a region beyond uint32', { region: 2 ** 32 }, 'region'],
  ['a port beyond 65535', { port: 70_000 }, 'port'],
  ['a fractional worker count', { workers: 2.5 }, 'workers'],
  ['a usage period under 100 ms', { periodMs: 50 }, 'periodMs'],
  ['an unknown field (a typo)', { prot: 8080 }, 'prot'],
  ['a MuDB server address without a port', { ...server, mudb: 'tcp://10.0.0.2' }, 'mudb'],
  ['a MuDB server without a secret', { mudb: server.mudb, mudbClientId: 'node-1' }, 'mudbSecret'],
  ['a MuDB secret under 16 bytes', { ...server, mudbSecret: 'short' }, 'mudbSecret'],
  ['a PostgreSQL schema that is not an identifier', { mudb: 'postgres://db/mu', mudbSchema: 'Bad-Name' }, 'mudbSchema'],
  ['a peer without an id', { peers: [{ id: '', url: 'http://10.0.0.6:8081' }] }, 'peers'],
  ['a peer whose URL is not http(s)', { peers: [{ id: 'node-2', url: 'ftp://10.0.0.6' }] }, 'peers'],
  ['a peer list entry without an id', { peers: 'http://10.0.0.6:8081' }, 'peers'],
  [
    'a certificate with a short signature',
    { certificate: { ...(minimal.certificate as object), signature: '0xabcd' } },
    'certificate',
  ],
];

describe('config.schema.json', () => {
  it('is a draft 2020-12 schema whose fields are exactly the config fields, each described', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(schema.properties as object).sort()).toEqual(['$schema', ...Object.keys(CONFIG_ENV)].sort());
    const undescribed = subschemas(schema).filter(([, subschema]) => typeof subschema.description !== 'string');
    expect(undescribed.map(([path]) => path)).toEqual([]);
  });

  it.each(examples)('accepts the example %s, which loadConfig accepts too', (name) => {
    const example = readExample(name);
    expect(example.$schema).toBe('../config.schema.json');
    expect(validate(schema, example)).toEqual([]);
    const config = loadConfig({ file: join(configsDir, name), env: {} });
    expect(config.marketplace).toBe(example.marketplace);
    expect(config.region).toBe(example.region);
  });

  it('loads the examples as the MuDB location they show', () => {
    const kinds = examples.map((name) => loadConfig({ file: join(configsDir, name), env: {} }).mudb.kind).sort();
    expect(kinds).toEqual(['memory', 'postgres', 'server']);
  });

  it('requires exactly the fields loadConfig requires', async () => {
    const required: string[] = [];
    for (const field of Object.keys(minimal)) {
      const { [field]: _removed, ...rest } = minimal as unknown as Record<string, unknown>;
      if ((await refusedField(rest)) === field) required.push(field);
    }
    expect([...(schema.required as string[])].sort()).toEqual(required.sort());
    for (const field of required) {
      const { [field]: _removed, ...rest } = minimal as unknown as Record<string, unknown>;
      expect(validate(schema, rest)).toContain(`$: ${field} is required`);
    }
  });

  it.each(badInputs)('rejects %s, as loadConfig does', async (_, change, field) => {
    const bad = { ...minimal, ...change };
    expect(await refusedField(bad)).toBe(field);
    const errors = validate(schema, bad);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((error) => error.includes(field))).toBe(true);
  });
});

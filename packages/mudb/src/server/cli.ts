#!/usr/bin/env node
/**
 * `mudb-server`: serves a MuDB store (LevelDB on disk) to a provider's nodes.
 *
 *   mudb-server --data ./mudb-data --port 7070 --clients clients.json
 *   MUDB_SECRET=… mudb-server --data ./mudb-data --socket /run/mudb.sock --secret-env MUDB_SECRET
 *
 * clients.json: [{ "id": "node-1", "secretEnv": "NODE1_SECRET" | "secret": "…", "namespaces": ["*"] }]
 * Exit codes: 0 after a clean stop (SIGINT/SIGTERM), 1 on a runtime failure, 2 on bad configuration.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ClassicLevel } from 'classic-level';
import { LevelBackend } from '../level/level-backend.js';
import { type ClientCredential, createMuDBServer } from './server.js';

const usage = `usage: mudb-server --data <dir> (--port <n> [--host <addr>] | --socket <path>)
                   (--clients <file.json> | --secret-env <VAR> [--client-id <id>]) [--durability os|sync]`;

function fail(message: string): never {
  process.stderr.write(`mudb-server: ${message}\n${usage}\n`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      data: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      socket: { type: 'string' },
      clients: { type: 'string' },
      'secret-env': { type: 'string' },
      'client-id': { type: 'string' },
      durability: { type: 'string' },
      help: { type: 'boolean' },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const data = values.data as string | undefined;
if (!data) fail('--data is required');
if ((values.port === undefined) === (values.socket === undefined)) fail('give exactly one of --port and --socket');
const port = values.port === undefined ? undefined : Number(values.port);
if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
  fail(`--port ${values.port} is not a port`);
const durability = (values.durability as string | undefined) ?? 'os';
if (durability !== 'os' && durability !== 'sync') fail('--durability must be os or sync');

function secretFromEnv(name: string): string {
  const secret = process.env[name];
  if (!secret) fail(`environment variable ${name} is empty`);
  return secret;
}

let clients: ClientCredential[];
if (values.clients !== undefined) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(values.clients as string, 'utf8'));
  } catch (error) {
    fail(`cannot read --clients ${values.clients}: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) fail('--clients must hold a JSON array');
  clients = parsed.map(
    (entry: { id?: unknown; secret?: unknown; secretEnv?: unknown; namespaces?: unknown }, index) => {
      const secret = typeof entry.secretEnv === 'string' ? secretFromEnv(entry.secretEnv) : entry.secret;
      if (typeof entry.id !== 'string' || typeof secret !== 'string' || !Array.isArray(entry.namespaces)) {
        fail(`client ${index} needs "id", "secret" or "secretEnv", and "namespaces"`);
      }
      return { id: entry.id, secret, namespaces: entry.namespaces as string[] };
    },
  );
} else if (values['secret-env'] !== undefined) {
  clients = [
    {
      id: (values['client-id'] as string | undefined) ?? 'node',
      secret: secretFromEnv(values['secret-env'] as string),
      namespaces: ['*'],
    },
  ];
} else {
  fail('give --clients or --secret-env');
}

let server: ReturnType<typeof createMuDBServer>;
try {
  server = createMuDBServer({
    backend: new LevelBackend(new ClassicLevel(data), { durability }),
    clients,
    onLog: (event) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`),
  });
} catch (error) {
  fail((error as Error).message);
}
try {
  const address = await server.listen(
    values.socket !== undefined
      ? { path: values.socket as string }
      : { port: port!, host: (values.host as string) ?? '127.0.0.1' },
  );
  process.stdout.write(`${JSON.stringify({ listening: address })}\n`);
} catch (error) {
  process.stderr.write(`mudb-server: cannot start: ${(error as Error).message}\n`);
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`mudb-server: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  });
}

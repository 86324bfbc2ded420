import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { SignedNodeCertificate } from '@mu/contract-client';
import type { NodeConfigFile } from './config-file.js';
import { ConfigError } from './errors.js';

/** Where the node's MuDB is: in memory, LevelDB in a folder, or a MuDB server shared by the provider's nodes. */
export type MuDBLocation =
  | { kind: 'memory' }
  | { kind: 'level'; path: string }
  | { kind: 'server'; host: string; port: number; clientId: string; secret: string }
  | { kind: 'postgres'; url: string; schema: string };

/** A peer node of the same provider: its node (runtime) URL. */
export interface PeerNode {
  id: string;
  url: string;
}

/** The executor's configuration, validated. */
export interface NodeConfig {
  /** JSON-RPC URL of the chain. */
  rpcUrl: string;
  /** The Mu marketplace contract address. */
  marketplace: string;
  /** The node's signing key (0x + 64 hex): signs usage reports; the provider certified its address. */
  nodeKey: string;
  /** The account that pays the gas of settlements (default: the node key). */
  operatorKey: string;
  /** The provider's encryption private key (0x + 64 hex): opens job specs. */
  encryptionKey: string;
  /** The provider's certificate of this node. */
  certificate: SignedNodeCertificate;
  /** The region id (uint32). */
  region: number;
  /** This node's id among the provider's nodes (default: the node address). */
  nodeId: string;
  /** Interface to listen on. */
  host: string;
  /** The gateway port (clients' requests, `/{jobId}/…`); 0 picks a free one. */
  port: number;
  /** The node port (requests the provider's gateways send to this node's runtime); 0 picks a free one. */
  nodePort: number;
  /** The provider's other nodes in the region. */
  peers: PeerNode[];
  mudb: MuDBLocation;
  /** Reports (persisted before sending) and the runtime's transpile cache. */
  dataDir: string;
  /** Guest worker threads. */
  workers: number;
  /** Length of a usage period (one report per job per period), ms. */
  periodMs: number;
  /** Interval between settlement rounds, ms. */
  settleIntervalMs: number;
  /** Most reports per settlement transaction. */
  maxReportsPerBatch: number;
  /** First block to read job events from (the marketplace's deployment block). */
  fromBlock: number;
  /** Chain polling interval, ms. */
  pollingIntervalMs: number;
  /** Longest wait for in-flight requests on shutdown, ms. */
  drainTimeoutMs: number;
}

type Raw = Record<string, unknown>;

/** Each field: its environment variable. The file uses the field names. */
export const CONFIG_ENV: Record<string, string> = {
  rpcUrl: 'MU_RPC_URL',
  marketplace: 'MU_MARKETPLACE',
  nodeKey: 'MU_NODE_KEY',
  operatorKey: 'MU_OPERATOR_KEY',
  encryptionKey: 'MU_ENCRYPTION_KEY',
  certificate: 'MU_CERTIFICATE',
  region: 'MU_REGION',
  nodeId: 'MU_NODE_ID',
  host: 'MU_HOST',
  port: 'MU_PORT',
  nodePort: 'MU_NODE_PORT',
  peers: 'MU_PEERS',
  mudb: 'MU_MUDB',
  mudbClientId: 'MU_MUDB_CLIENT_ID',
  mudbSecret: 'MU_MUDB_SECRET',
  mudbSchema: 'MU_MUDB_SCHEMA',
  dataDir: 'MU_DATA_DIR',
  workers: 'MU_WORKERS',
  periodMs: 'MU_PERIOD_MS',
  settleIntervalMs: 'MU_SETTLE_INTERVAL_MS',
  maxReportsPerBatch: 'MU_MAX_REPORTS_PER_BATCH',
  fromBlock: 'MU_FROM_BLOCK',
  pollingIntervalMs: 'MU_POLLING_INTERVAL_MS',
  drainTimeoutMs: 'MU_DRAIN_TIMEOUT_MS',
} satisfies Record<Exclude<keyof NodeConfigFile, '$schema'>, string>;

const KEY = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function text(raw: Raw, field: string, fallback?: string): string {
  const value = raw[field];
  if (value === undefined || value === '') {
    if (fallback !== undefined) return fallback;
    throw new ConfigError(field, `is required (set it in the config file or ${CONFIG_ENV[field] ?? field})`);
  }
  if (typeof value !== 'string') throw new ConfigError(field, 'must be a string');
  return value;
}

function integer(raw: Raw, field: string, fallback: number, min: number, max: number): number {
  const value = raw[field];
  if (value === undefined || value === '') return fallback;
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < min || number > max) {
    throw new ConfigError(field, `must be an integer from ${min} to ${max}; got ${JSON.stringify(value)}`);
  }
  return number;
}

function url(raw: Raw, field: string): string {
  const value = text(raw, field);
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(field, `must be an http(s) URL; got ${JSON.stringify(value)}`);
  }
  return value;
}

function key(raw: Raw, field: string, fallback?: string): string {
  const value = text(raw, field, fallback);
  if (!KEY.test(value)) throw new ConfigError(field, 'must be a private key: 0x followed by 64 hex digits');
  return value;
}

function certificate(raw: Raw, dir: string): SignedNodeCertificate {
  let value = raw.certificate;
  if (value === undefined || value === '')
    throw new ConfigError('certificate', 'is required (the provider signs it with certifyNode)');
  if (typeof value === 'string') {
    // inline JSON, or a file holding it
    try {
      value = JSON.parse(value.trim().startsWith('{') ? value : readFileSync(resolve(dir, value), 'utf8')) as unknown;
    } catch (error) {
      throw new ConfigError('certificate', 'must be JSON { certificate, signature } or the path of such a file', {
        cause: error,
      });
    }
  }
  const signed = value as { certificate?: Raw; signature?: unknown };
  const body = signed?.certificate;
  if (
    typeof body !== 'object' ||
    body === null ||
    typeof body.node !== 'string' ||
    !ADDRESS.test(body.node) ||
    typeof body.provider !== 'string' ||
    !ADDRESS.test(body.provider) ||
    typeof signed.signature !== 'string' ||
    !/^0x[0-9a-fA-F]{130}$/.test(signed.signature)
  ) {
    throw new ConfigError('certificate', 'must be { certificate: { node, provider, region, notAfter }, signature }');
  }
  const region = Number(body.region);
  let notAfter: bigint;
  try {
    notAfter = BigInt(body.notAfter as string | number);
  } catch {
    throw new ConfigError('certificate', 'has a malformed notAfter');
  }
  if (!Number.isSafeInteger(region) || region < 0) throw new ConfigError('certificate', 'has a malformed region');
  return {
    certificate: { node: body.node, provider: body.provider, region, notAfter },
    signature: signed.signature as `0x${string}`,
  };
}

function peers(raw: Raw): PeerNode[] {
  const value = raw.peers;
  if (value === undefined || value === '') return [];
  const list: unknown[] =
    typeof value === 'string'
      ? value
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)
          .map((part) => {
            const at = part.indexOf('=');
            return at < 0 ? { id: '', url: part } : { id: part.slice(0, at), url: part.slice(at + 1) };
          })
      : Array.isArray(value)
        ? value
        : [undefined];
  return list.map((entry, index) => {
    const peer = entry as Raw;
    if (typeof peer?.id !== 'string' || !/^[A-Za-z0-9_.:-]{1,128}$/.test(peer.id)) {
      throw new ConfigError('peers', `entry ${index} needs an id (id=url, or { id, url })`);
    }
    return { id: peer.id, url: url({ peers: peer.url }, 'peers') };
  });
}

function mudb(raw: Raw, dir: string): MuDBLocation {
  const value = text(raw, 'mudb', 'memory');
  if (value === 'memory') return { kind: 'memory' };
  if (/^postgres(ql)?:\/\//.test(value)) {
    const schema = text(raw, 'mudbSchema', 'mudb');
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
      throw new ConfigError('mudbSchema', 'must be a lowercase SQL identifier');
    return { kind: 'postgres', url: value, schema };
  }
  if (value.startsWith('tcp://')) {
    const match = /^tcp:\/\/([^:/]+):(\d{1,5})\/?$/.exec(value);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65_535) throw new ConfigError('mudb', 'must look like tcp://host:port');
    const secret = text(raw, 'mudbSecret');
    if (Buffer.byteLength(secret) < 16) throw new ConfigError('mudbSecret', 'must be at least 16 bytes');
    return { kind: 'server', host: match[1]!, port, clientId: text(raw, 'mudbClientId'), secret };
  }
  return { kind: 'level', path: isAbsolute(value) ? value : resolve(dir, value) };
}

/** Where {@link loadConfig} reads from. */
export interface LoadConfigOptions {
  /** A JSON file: a {@link NodeConfigFile} (schema: `config.schema.json`); optional. */
  file?: string;
  /** Environment (default `process.env`): `MU_*` variables override the file. */
  env?: Record<string, string | undefined>;
}

/**
 * Reads the node's configuration from a JSON file and `MU_*` environment variables (the environment wins),
 * and validates every field.
 *
 * @throws {ConfigError} `NODE_CONFIG_INVALID`, naming the field, for anything missing or malformed.
 * @example
 * ```ts
 * const config = loadConfig({ file: 'node.json', env: process.env });
 * ```
 */
export function loadConfig(options: LoadConfigOptions = {}): NodeConfig {
  const env = options.env ?? process.env;
  let raw: Raw = {};
  let dir = process.cwd();
  if (options.file !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(options.file, 'utf8'));
    } catch (error) {
      throw new ConfigError('config file', `${options.file} could not be read as JSON`, { cause: error });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError('config file', 'must hold a JSON object');
    }
    raw = { ...(parsed as Raw) };
    // the editor's schema reference (config.schema.json) is not a setting
    delete raw.$schema;
    dir = resolve(options.file, '..');
  }
  for (const [field, variable] of Object.entries(CONFIG_ENV)) {
    const value = env[variable];
    if (value !== undefined && value !== '') raw[field] = value;
  }
  const known = new Set(Object.keys(CONFIG_ENV));
  for (const field of Object.keys(raw)) {
    if (!known.has(field)) throw new ConfigError(field, `is not a config field (known: ${[...known].join(', ')})`);
  }
  const marketplace = text(raw, 'marketplace');
  if (!ADDRESS.test(marketplace)) throw new ConfigError('marketplace', 'must be a 0x address (40 hex digits)');
  const nodeKey = key(raw, 'nodeKey');
  const signed = certificate(raw, dir);
  const region = integer(raw, 'region', -1, 0, 0xffff_ffff);
  if (region < 0) throw new ConfigError('region', `is required (set it in the config file or ${CONFIG_ENV.region})`);
  if (signed.certificate.region !== region) {
    throw new ConfigError(
      'certificate',
      `is for region ${signed.certificate.region}, the node is configured for ${region}`,
    );
  }
  const periodMs = integer(raw, 'periodMs', 60_000, 100, 86_400_000);
  return {
    rpcUrl: url(raw, 'rpcUrl'),
    marketplace,
    nodeKey,
    operatorKey: key(raw, 'operatorKey', nodeKey),
    encryptionKey: key(raw, 'encryptionKey'),
    certificate: signed,
    region,
    nodeId: text(raw, 'nodeId', signed.certificate.node),
    host: text(raw, 'host', '127.0.0.1'),
    port: integer(raw, 'port', 8080, 0, 65_535),
    nodePort: integer(raw, 'nodePort', 8081, 0, 65_535),
    peers: peers(raw),
    mudb: mudb(raw, dir),
    dataDir: resolve(dir, text(raw, 'dataDir', 'mu-node-data')),
    workers: integer(raw, 'workers', 2, 1, 64),
    periodMs,
    settleIntervalMs: integer(raw, 'settleIntervalMs', periodMs, 100, 86_400_000),
    maxReportsPerBatch: integer(raw, 'maxReportsPerBatch', 200, 1, 1000),
    fromBlock: integer(raw, 'fromBlock', 0, 0, Number.MAX_SAFE_INTEGER),
    pollingIntervalMs: integer(raw, 'pollingIntervalMs', 1000, 10, 600_000),
    drainTimeoutMs: integer(raw, 'drainTimeoutMs', 10_000, 0, 600_000),
  };
}

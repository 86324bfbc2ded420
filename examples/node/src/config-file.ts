/**
 * The provider's signed certificate of a node, as JSON: `certifyNode`'s answer with `notAfter` written as a
 * decimal string (or a number) since JSON has no bigint.
 */
export interface NodeCertificateJson {
  certificate: {
    /** The node's address (the node key's). */
    node: string;
    /** The provider's address, which signed. */
    provider: string;
    /** The region id the node serves. */
    region: number;
    /** Expiry, unix seconds. */
    notAfter: string | number;
  };
  /** The provider's EIP-712 signature (0x + 130 hex). */
  signature: string;
}

/**
 * The node's config file (`--config node.json`) as written: what {@link loadConfig} reads before it applies
 * defaults, `MU_*` variables and checks. `config.schema.json` (next to this package's README) is the same shape as a
 * JSON schema for editors: put `"$schema": "<path>/config.schema.json"` at the top of the file. The fields marked
 * required may instead come from their `MU_*` variable (see `CONFIG_ENV`).
 *
 * @example
 * ```ts
 * const file: NodeConfigFile = { rpcUrl, marketplace, nodeKey, encryptionKey, certificate, region: 1 };
 * await writeFile('node.json', JSON.stringify(file, null, 2));
 * ```
 */
export interface NodeConfigFile {
  /** The JSON schema of the file, for editors; ignored by the node. */
  $schema?: string;
  /** JSON-RPC URL of the chain (http or https). */
  rpcUrl: string;
  /** The Mu marketplace address (0x + 40 hex). */
  marketplace: string;
  /** The node's signing key (0x + 64 hex). */
  nodeKey: string;
  /** The account that pays the gas of settlements (0x + 64 hex; default: the node key). */
  operatorKey?: string;
  /** The provider's encryption private key (0x + 64 hex): opens job specs. */
  encryptionKey: string;
  /** The certificate, inline, or the path (relative to the file) of a JSON file holding it. */
  certificate: NodeCertificateJson | string;
  /** The region id (uint32); must be the certificate's. */
  region: number;
  /** This node's id among the provider's nodes (default: the node address). */
  nodeId?: string;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** The gateway port (default 8080; 0 picks a free one). */
  port?: number;
  /** The node port (default 8081; 0 picks a free one). */
  nodePort?: number;
  /** The provider's other nodes: `[{ id, url }]` or `"id=url,id=url"` (their node ports). */
  peers?: { id: string; url: string }[] | string;
  /** `memory` (default), a LevelDB folder, `tcp://host:port` (the MuDB server) or `postgres://…`. */
  mudb?: string;
  /** Client id at the MuDB server (with `mudb: "tcp://…"`). */
  mudbClientId?: string;
  /** Secret at the MuDB server, at least 16 bytes (with `mudb: "tcp://…"`). */
  mudbSecret?: string;
  /** PostgreSQL schema of the store's tables (default `mudb`). */
  mudbSchema?: string;
  /** Usage reports and the runtime's transpile cache (default `mu-node-data`, relative to the file). */
  dataDir?: string;
  /** Guest worker threads (1-64, default 2). */
  workers?: number;
  /** Usage period, ms (100 to 86,400,000; default 60,000). */
  periodMs?: number;
  /** Interval between settlement rounds, ms (100 to 86,400,000; default `periodMs`). */
  settleIntervalMs?: number;
  /** Most reports per settlement transaction (1-1000, default 200). */
  maxReportsPerBatch?: number;
  /** First block of job events (default 0; the marketplace's deployment block). */
  fromBlock?: number;
  /** Chain polling interval, ms (10 to 600,000; default 1000). */
  pollingIntervalMs?: number;
  /** Longest wait for in-flight requests on shutdown, ms (0 to 600,000; default 10,000). */
  drainTimeoutMs?: number;
}

import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { NodeConfigFile } from '@mu/example-node';
import type { LocalChain } from './chain-setup.js';
import { freePort } from './processes.js';

const require = createRequire(import.meta.url);

/** What every node's config file of the local network shares. */
export interface NodeConfigsOptions {
  chain: LocalChain;
  rpcUrl: string;
  /** The MuDB server the nodes share. */
  mudb: { port: number; secret: string };
  /** The network's data folder: each node keeps its reports and caches in `<dataDir>/<node id>`. */
  dataDir: string;
  periodMs: number;
  /** The nodes' ids, in `chain.nodeWallets` order. */
  nodeIds: string[];
}

/** A port on 127.0.0.1 not yet in `taken`, added to it. */
async function pickPort(taken: Set<number>): Promise<number> {
  const port = await freePort(taken);
  taken.add(port);
  return port;
}

/**
 * Writes one config file per node (`files`, in `nodeIds` order) on new free ports: every node must know its peers'
 * addresses before it starts, so the ports are chosen here. Each file names the node's JSON schema (`$schema`).
 */
export async function writeNodeConfigs(files: string[], options: NodeConfigsOptions): Promise<void> {
  const { chain, nodeIds } = options;
  const taken = new Set<number>();
  const ports: { port: number; nodePort: number }[] = [];
  for (const _ of chain.nodeWallets) ports.push({ port: await pickPort(taken), nodePort: await pickPort(taken) });
  const schema = pathToFileURL(require.resolve('@mu/example-node/config.schema.json')).href;
  const configs = chain.nodeWallets.map(
    (node, index): NodeConfigFile => ({
      $schema: schema,
      rpcUrl: options.rpcUrl,
      marketplace: chain.deployment.marketplace,
      nodeKey: node.privateKey,
      encryptionKey: `0x${Buffer.from(chain.encryptionKey.privateKey).toString('hex')}`,
      certificate: {
        certificate: {
          ...chain.certificates[index]!.certificate,
          notAfter: String(chain.certificates[index]!.certificate.notAfter),
        },
        signature: chain.certificates[index]!.signature,
      },
      region: chain.region,
      nodeId: nodeIds[index]!,
      host: '127.0.0.1',
      port: ports[index]!.port,
      nodePort: ports[index]!.nodePort,
      peers: nodeIds
        .map((id, peer) => ({ id, url: `http://127.0.0.1:${ports[peer]!.nodePort}` }))
        .filter((_, peer) => peer !== index),
      mudb: `tcp://127.0.0.1:${options.mudb.port}`,
      mudbClientId: 'node',
      mudbSecret: options.mudb.secret,
      dataDir: join(options.dataDir, nodeIds[index]!),
      workers: 1,
      periodMs: options.periodMs,
      fromBlock: chain.deployment.deployBlock,
      pollingIntervalMs: 250,
      drainTimeoutMs: 5_000,
    }),
  );
  await Promise.all(configs.map((config, index) => writeFile(files[index]!, JSON.stringify(config, null, 2))));
}

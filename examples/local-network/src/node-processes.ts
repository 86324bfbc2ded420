import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type ManagedProcess, sourceFlags, startProcess } from './processes.js';

/** The reference executor's command (`@mu/example-node/cli`): a node, or with `--gateway` the provider's gateway. */
const nodeCli = createRequire(import.meta.url).resolve('@mu/example-node/cli');

/** Starts one node process on its config file, logging to `<logsDir>/<name>.log`. */
export function startNodeProcess(name: string, configFile: string, logsDir: string): Promise<ManagedProcess> {
  return startProcess({
    name,
    args: [...sourceFlags, nodeCli, '--config', configFile],
    logFile: join(logsDir, `${name}.log`),
  });
}

/** Starts the provider's standalone gateway process (`--gateway`, configured by `MU_*` variables). */
export function startGatewayProcess(env: Record<string, string>, logsDir: string): Promise<ManagedProcess> {
  return startProcess({
    name: 'gateway',
    args: [...sourceFlags, nodeCli, '--gateway'],
    env,
    logFile: join(logsDir, 'gateway.log'),
  });
}

/**
 * Starts every node; when one could not listen because another program took its port between the choice and the
 * node's `listen`, stops the others and tries again on new ports (three tries). Nodes that started are never left
 * running when this throws.
 */
export async function startNodes(
  count: number,
  startNode: (index: number) => Promise<ManagedProcess>,
  writeConfigs: () => Promise<void>,
  progress: (message: string) => void,
): Promise<ManagedProcess[]> {
  for (let attempt = 1; ; attempt++) {
    await writeConfigs();
    const results = await Promise.allSettled(Array.from({ length: count }, (_, index) => startNode(index)));
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    const running = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (failures.length === 0) return running;
    await Promise.all(running.map((process) => process.stop()));
    const portTaken = failures.every((failure) => String((failure as Error)?.message).includes('EADDRINUSE'));
    if (!portTaken || attempt === 3) throw failures[0];
    progress('a chosen port was taken meanwhile; starting the nodes on other ports');
  }
}

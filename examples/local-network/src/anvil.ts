import { type Devnet, startAnvil as startDevnet } from '@mu/contracts/devnet';

/** The local network's chain: @mu/contracts' devnet. */
export type Anvil = Devnet;

/**
 * Starts anvil (free 127.0.0.1 port, cancun) in its own process group: a terminal's Ctrl-C must not stop the
 * chain before the nodes have settled their last reports. `stop()` kills it by PID.
 */
export function startAnvil(port = 0): Promise<Anvil> {
  return startDevnet({ port, detached: true, startTimeoutMs: 30_000 });
}

/**
 * A local development chain: anvil (from the `@foundry-rs/anvil` npm package) on a free 127.0.0.1 port, with
 * the cancun hardfork the contracts are compiled for, and ethers accounts on it. Tests, benchmarks, the
 * marketplace page and the local Mu network all start their chain here. Node only (it spawns a process);
 * import it from `@mu/contracts/devnet`.
 *
 * @example
 * ```ts
 * import { startAnvil } from '@mu/contracts/devnet';
 * const chain = await startAnvil();
 * const addresses = await deployMu({ signer: chain.wallets[0]!, regions: ['eu-west'] });
 * await chain.stop();
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FetchRequest, HDNodeWallet, JsonRpcProvider, Mnemonic } from 'ethers';

/** anvil's default mnemonic: its accounts hold test ether only. Never use it for real funds. */
export const DEVNET_MNEMONIC = 'test test test test test test test test test test test junk';

/** Options of {@link startAnvil}. */
export interface AnvilOptions {
  /** Port to listen on (default 0: a free one). */
  port?: number;
  /** Funded accounts (default 10). */
  accounts?: number;
  /** Seconds between blocks; default: a block per transaction. */
  blockTime?: number;
  /** Chain id (default anvil's 31337). */
  chainId?: number;
  /** ms to wait for anvil to listen (default 20,000). */
  startTimeoutMs?: number;
  /**
   * Run anvil in its own process group (default false), so a terminal's Ctrl-C reaches only the launcher,
   * which can then let nodes settle before it stops the chain.
   */
  detached?: boolean;
}

/** A running anvil and ethers accounts on it. */
export interface Devnet {
  url: string;
  /** Tuned for a local node: no request batching, 5 ms polling, no call cache (a cached nonce read would collide). */
  provider: JsonRpcProvider;
  /** The funded accounts, connected to `provider` (plain wallets: a NonceManager skips nonces on reverted estimates). */
  wallets: HDNodeWallet[];
  /** Their addresses, same order. */
  addresses: string[];
  /** anvil's process id. */
  pid: number;
  snapshot(): Promise<string>;
  revert(id: string): Promise<void>;
  /** Moves block time forward and mines a block. */
  increaseTime(seconds: number | bigint): Promise<void>;
  /** Mines `blocks` empty blocks. */
  mine(blocks?: number): Promise<void>;
  /** The latest block's timestamp. */
  now(): Promise<bigint>;
  /** Kills anvil (by PID) and closes the provider. */
  stop(): Promise<void>;
}

/** Path of the platform anvil binary: spawning it directly means a kill stops anvil itself, not a wrapper. */
export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  let folder: string;
  try {
    folder = require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`);
  } catch (cause) {
    throw new Error(
      `No anvil binary for ${process.platform}-${arch}: install @foundry-rs/anvil (it ships linux, darwin and win32 builds).`,
      { cause },
    );
  }
  return join(folder, '..', 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
}

/**
 * Starts anvil on 127.0.0.1.
 * @throws Error when anvil is missing or does not start in time (its output is in the message)
 */
export async function startAnvil(options: AnvilOptions = {}): Promise<Devnet> {
  const accounts = options.accounts ?? 10;
  const args = ['--host', '127.0.0.1', '--port', String(options.port ?? 0), '--hardfork', 'cancun'];
  args.push('--accounts', String(accounts));
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime));
  if (options.chainId !== undefined) args.push('--chain-id', String(options.chainId));
  const child: ChildProcess = spawn(anvilBinary(), args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached === true,
  });
  // Never leave anvil behind if this process exits before stop().
  const killOnExit = () => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));

  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      killOnExit();
      reject(new Error(`anvil did not start within ${options.startTimeoutMs ?? 20_000} ms:\n${output}`));
    }, options.startTimeoutMs ?? 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on (127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        // Keep draining the pipes (anvil logs every call) without keeping the text.
        child.stdout?.off('data', onData).resume();
        child.stderr?.off('data', onData).resume();
        resolve(`http://${match[1]}`);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`anvil exited with ${code}:\n${output}`));
    });
  });

  // A stalled request fails instead of hanging a test or the local network.
  const request = new FetchRequest(url);
  request.timeout = 20_000;
  const provider = new JsonRpcProvider(request, undefined, {
    batchMaxCount: 1,
    staticNetwork: true,
    pollingInterval: 5,
    cacheTimeout: -1,
  });
  const mnemonic = Mnemonic.fromPhrase(DEVNET_MNEMONIC);
  const wallets = Array.from({ length: accounts }, (_, index) =>
    HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${index}`).connect(provider),
  );
  return {
    url,
    provider,
    wallets,
    addresses: wallets.map((wallet) => wallet.address),
    pid: child.pid!,
    snapshot: async () => (await provider.send('evm_snapshot', [])) as string,
    revert: async (id) => {
      await provider.send('evm_revert', [id]);
    },
    increaseTime: async (seconds) => {
      await provider.send('evm_increaseTime', [Number(seconds)]);
      await provider.send('evm_mine', []);
    },
    mine: async (blocks = 1) => {
      await provider.send('anvil_mine', [blocks]);
    },
    now: async () => BigInt((await provider.getBlock('latest'))!.timestamp),
    stop: async () => {
      provider.destroy();
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
    },
  };
}

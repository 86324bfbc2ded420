import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FetchRequest, HDNodeWallet, JsonRpcProvider, Mnemonic, type Signer } from 'ethers';

const require = createRequire(import.meta.url);

/** anvil's default mnemonic: its accounts are funded with 10,000 ETH each. */
const MNEMONIC = 'test test test test test test test test test test test junk';

/** A running anvil with ethers accounts. */
export interface Chain {
  url: string;
  provider: JsonRpcProvider;
  /** Funded wallets (anvil's accounts). Plain wallets: a NonceManager would skip a nonce on a reverted estimate. */
  signers: Signer[];
  /** Their addresses, same order. */
  addresses: string[];
  /** Their private keys (for permits and off-chain signatures). */
  wallets: HDNodeWallet[];
  snapshot(): Promise<string>;
  revert(id: string): Promise<void>;
  /** Moves block time forward and mines a block. */
  increaseTime(seconds: number | bigint): Promise<void>;
  now(): Promise<bigint>;
  stop(): Promise<void>;
}

function anvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const folder = require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`);
  return join(folder, '..', 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
}

/**
 * Starts the platform anvil binary directly (an npm/npx wrapper would outlive a kill) on a free 127.0.0.1 port,
 * with the cancun hardfork the contracts are compiled for.
 */
export async function startChain(accounts = 10): Promise<Chain> {
  const child: ChildProcess = spawn(
    anvilBinary(),
    ['--host', '127.0.0.1', '--port', '0', '--hardfork', 'cancun', '--accounts', String(accounts)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  // never leave anvil behind if the test process dies before stop()
  const killOnExit = () => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`anvil did not start:\n${output}`)), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`anvil exited with ${code}:\n${output}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on (127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout?.removeAllListeners('data');
        child.stdout?.resume();
        resolve(`http://${match[1]}`);
      }
    });
  });
  // a stalled request or a transaction that never mines fails fast instead of hanging the test
  const request = new FetchRequest(url);
  request.timeout = 20_000;
  const provider = new JsonRpcProvider(request, undefined, {
    batchMaxCount: 1,
    staticNetwork: true,
    pollingInterval: 5,
    // ethers caches identical calls for 250 ms: two quick transactions would reuse a nonce
    cacheTimeout: -1,
  });
  const mnemonic = Mnemonic.fromPhrase(MNEMONIC);
  const wallets = Array.from({ length: accounts }, (_, index) =>
    HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${index}`).connect(provider),
  );
  return {
    url,
    provider,
    signers: wallets,
    addresses: wallets.map((wallet) => wallet.address),
    wallets,
    snapshot: async () => (await provider.send('evm_snapshot', [])) as string,
    revert: async (id) => {
      await provider.send('evm_revert', [id]);
    },
    increaseTime: async (seconds) => {
      await provider.send('evm_increaseTime', [Number(seconds)]);
      await provider.send('evm_mine', []);
    },
    now: async () => BigInt((await provider.getBlock('latest'))!.timestamp),
    stop: async () => {
      provider.destroy();
      if (child.exitCode === null && child.pid !== undefined) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
    },
  };
}

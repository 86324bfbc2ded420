import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { HDNodeWallet, JsonRpcProvider, Mnemonic, type Wallet } from 'ethers';

/** Anvil's well-known dev mnemonic: test ether only. */
const MNEMONIC = 'test test test test test test test test test test test junk';

export interface Anvil {
  url: string;
  provider: JsonRpcProvider;
  /** The 10 funded dev accounts, connected. */
  wallets: Wallet[];
  stop(): Promise<void>;
}

/** Starts anvil on 127.0.0.1 (port 0: a free one), cancun; `stop()` kills it by PID. */
export async function startAnvil(port = 0): Promise<Anvil> {
  const require = createRequire(import.meta.url);
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  // The platform binary itself: killing the npm wrapper would leave the real node running.
  const binary = require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/bin/anvil`);
  const child: ChildProcess = spawn(binary, ['--host', '127.0.0.1', '--port', String(port), '--hardfork', 'cancun'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const listening = await new Promise<number>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        child.stdout!.off('data', onData).resume();
        child.stderr!.off('data', onData).resume();
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`anvil exited (${code}) before listening: ${output}`)));
    setTimeout(() => reject(new Error(`anvil did not start: ${output}`)), 20_000).unref();
  });
  const url = `http://127.0.0.1:${listening}`;
  const provider = new JsonRpcProvider(url, undefined, {
    batchMaxCount: 1,
    staticNetwork: true,
    pollingInterval: 5,
    cacheTimeout: -1,
  });
  const mnemonic = Mnemonic.fromPhrase(MNEMONIC);
  const wallets = Array.from({ length: 10 }, (_, index) =>
    HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${index}`).connect(provider),
  ) as unknown as Wallet[];
  return {
    url,
    provider,
    wallets,
    async stop() {
      provider.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid!, 'SIGTERM');
      await exited;
    },
  };
}

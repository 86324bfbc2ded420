import { JsonRpcProvider, Wallet } from 'ethers';
import { deployMu } from '../src/index.js';

// Deploys the test stablecoin, the marketplace and regions to a running chain and prints the addresses as JSON
// (one line), for a local network or a manual test:
//   RPC_URL=http://127.0.0.1:8545 DEPLOYER_KEY=0x… REGIONS=eu-west,us-east npm run deploy -w contracts
// Without DEPLOYER_KEY it uses anvil's first default account.
const ANVIL_FIRST_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const provider = new JsonRpcProvider(process.env.RPC_URL ?? 'http://127.0.0.1:8545', undefined, {
  staticNetwork: true,
  batchMaxCount: 1,
  cacheTimeout: -1,
  pollingInterval: 50,
});
try {
  const deployer = new Wallet(process.env.DEPLOYER_KEY ?? ANVIL_FIRST_KEY, provider);
  const regions = (process.env.REGIONS ?? 'local').split(',').filter((name) => name.length > 0);
  const mu = await deployMu(deployer, { regions });
  console.log(
    JSON.stringify({
      chainId: mu.chainId.toString(),
      token: mu.tokenAddress,
      marketplace: mu.marketplaceAddress,
      deployBlock: mu.deployBlock,
      regions: mu.regions,
    }),
  );
} finally {
  provider.destroy();
}

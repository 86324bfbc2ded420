import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { JsonRpcProvider, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { contractsRoot } from '../scripts/compile.js';
import { DeployFailedError, deployMu, encodeUsageReports, MuContractsError, USAGE_REPORT_SIZE } from '../src/index.js';
import { startAnvil } from './helpers/chain.js';
import { usage } from './helpers/mu.js';

const signature = `0x${'11'.repeat(32)}${'22'.repeat(32)}1b`;

describe('encodeUsageReports', () => {
  it('packs each report into USAGE_REPORT_SIZE big-endian bytes', () => {
    const report = usage(0x0102n, '0x0000000000000000000000000000000000000001', 3n);
    const packed = encodeUsageReports([{ certificateIndex: 5, report, signature }]);
    expect((packed.length - 2) / 2).toBe(USAGE_REPORT_SIZE);
    expect(packed.slice(2, 4)).toBe('05');
    expect(packed.slice(4, 20)).toBe('0000000000000102');
    expect(packed.slice(20, 36)).toBe('0000000000000003');
    expect(packed.slice(-128, -64)).toBe('11'.repeat(32));
  });

  it('refuses values a uint64 or a certificate index cannot hold, before encoding anything', () => {
    const report = usage(1n, '0x0000000000000000000000000000000000000001', 1n);
    expect(() => encodeUsageReports([])).toThrow(RangeError);
    expect(() => encodeUsageReports([{ certificateIndex: 256, report, signature }])).toThrow(RangeError);
    expect(() =>
      encodeUsageReports([{ certificateIndex: 0, report: { ...report, cpuMs: 1n << 64n }, signature }]),
    ).toThrow(/cpuMs must fit in uint64/);
    expect(() =>
      encodeUsageReports([{ certificateIndex: 0, report: { ...report, jobId: 1 as unknown as bigint }, signature }]),
    ).toThrow(TypeError);
  });
});

describe('deployMu', () => {
  it('refuses bad options with TypeError/RangeError before sending anything', async () => {
    const wallet = Wallet.createRandom();
    await expect(deployMu(wallet)).rejects.toThrow(TypeError);
    const connected = wallet.connect(new JsonRpcProvider('http://127.0.0.1:9', undefined, { staticNetwork: true }));
    await expect(deployMu(connected, { protocolFeeBps: 1001 })).rejects.toThrow(RangeError);
    await expect(deployMu(connected, { slashShareBps: -1 })).rejects.toThrow(RangeError);
    await expect(deployMu(connected, { regions: [''] })).rejects.toThrow(TypeError);
  });

  it('wraps a failing deployment in DeployFailedError with a stable code and the ethers error as cause', async () => {
    const chain = await startAnvil({ accounts: 1 });
    try {
      const unfunded = Wallet.createRandom().connect(chain.provider);
      const error = await deployMu(unfunded).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DeployFailedError);
      expect(error).toBeInstanceOf(MuContractsError);
      expect((error as DeployFailedError).code).toBe('CONTRACTS_DEPLOY_FAILED');
      expect((error as DeployFailedError).shortMessage).toMatchInlineSnapshot(
        `"Deploying Mu failed at "TestStablecoin". Check that the signer is funded and connected to the chain, then deploy again."`,
      );
      expect((error as Error).cause).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/Details: .*insufficient funds/);
    } finally {
      await chain.stop();
    }
  });
});

describe('scripts/deploy.ts', () => {
  it('deploys to a running chain and prints the addresses as JSON', async () => {
    const chain = await startAnvil({ accounts: 1 });
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/deploy.ts'], {
        cwd: contractsRoot,
        env: {
          ...process.env,
          RPC_URL: chain.url,
          DEPLOYER_KEY: chain.wallets[0]!.privateKey,
          REGIONS: 'eu-west,us-east',
        },
      });
      const deployed = JSON.parse(stdout.trim()) as { marketplace: string; regions: { id: number; name: string }[] };
      expect(deployed.regions).toEqual([
        { id: 1, name: 'eu-west' },
        { id: 2, name: 'us-east' },
      ]);
      expect((await chain.provider.getCode(deployed.marketplace)).length).toBeGreaterThan(1000);
    } finally {
      await chain.stop();
    }
  });
});

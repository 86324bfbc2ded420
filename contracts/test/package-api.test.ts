import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isMuError } from '@mu/errors';
import { Interface, JsonRpcProvider, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { contractsRoot } from '../scripts/compile.js';
import {
  DeployFailedError,
  deployMu,
  eip712Types,
  encodeUsageReports,
  MuContractsError,
  MuMarketplaceAbi,
  toJobRecord,
  toOfferRecord,
  toProviderRecord,
  toRegion,
  USAGE_REPORT_SIZE,
  USAGE_REPORT_UINT64_FIELDS,
} from '../src/index.js';
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

describe('the usage report field list', () => {
  it('is the EIP-712 UsageReport without node, in order, and sizes the packed record', () => {
    expect(USAGE_REPORT_UINT64_FIELDS).toEqual(
      eip712Types.UsageReport.filter((field) => field.name !== 'node').map((field) => field.name),
    );
    expect(
      eip712Types.UsageReport.filter((field) => field.name !== 'node').every((field) => field.type === 'uint64'),
    ).toBe(true);
    expect(USAGE_REPORT_SIZE).toBe(1 + 8 * USAGE_REPORT_UINT64_FIELDS.length + 64);
  });
});

describe('the view decoders', () => {
  const iface = new Interface(MuMarketplaceAbi);
  const account = Wallet.createRandom().address;
  const prices = { perRequest: 1n, perCpuMs: 2n, perMemoryMbMs: 3n, perKvRead: 4n, perKvWrite: 5n, perEgressByte: 6n };
  const decoded = (name: string, value: unknown) =>
    iface.decodeFunctionResult(name, iface.encodeFunctionResult(name, [value]))[0];

  it('reads each view struct of the ABI by field name: small integers as numbers, bytes as hex', () => {
    const provider = {
      provider: account,
      registered: true,
      deposit: 7n,
      unbonding: 8n,
      unbondingReleaseAt: 9n,
      activeJobs: 2,
      encryptionKey: `0x02${'ab'.repeat(32)}`,
      metadataURI: 'ipfs://me',
    };
    expect(toProviderRecord(decoded('getProvider', provider))).toEqual(provider);
    const offer = {
      provider: account,
      region: 3,
      open: true,
      gatewayURL: 'https://gw.example',
      prices,
      providerDeposit: 10n,
      encryptionKey: `0x03${'cd'.repeat(32)}`,
      metadataURI: '',
    };
    const { providerDeposit, ...offerFields } = offer;
    expect(toOfferRecord(decoded('getOffer', offer))).toEqual({ ...offerFields, deposit: providerDeposit });
    const job = {
      id: 1n,
      client: account,
      provider: account,
      region: 3,
      escrow: 11n,
      shortfall: 0n,
      exhausted: false,
      cancelled: true,
      closesAt: 12n,
      specHash: `0x${'ef'.repeat(32)}`,
      specBlock: 13n,
      prices,
    };
    expect(toJobRecord(decoded('getJob', job))).toEqual(job);
    const [page] = iface.decodeFunctionResult(
      'getRegions',
      iface.encodeFunctionResult('getRegions', [[{ id: 1, name: 'eu-west' }], 1n]),
    );
    expect([...page].map(toRegion)).toEqual([{ id: 1, name: 'eu-west' }]);
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
      expect(isMuError(error)).toBe(true);
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

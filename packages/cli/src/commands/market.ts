import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createMarketplaceClient, getRegionProviders, type UsageProfile } from '@mu/marketplace';
import { formatUnits } from 'ethers';
import { formatAmount, resolveRegion, tokenDecimals } from '../chain.js';
import { type Command, stringOption } from '../command.js';
import { loadProject } from '../config.js';
import { CliError } from '../errors.js';
import { printResult, table } from '../output.js';
import { chainCommand, withChain } from './chain-command.js';

/** Prices per million units, in tokens (prices are base units × 10^-9). */
function perMillion(price: bigint, decimals: number): string {
  const text = formatUnits(price * 1_000_000n, decimals + 9);
  return text.endsWith('.0') ? text.slice(0, -2) : text;
}

const USAGE_FIELDS = ['requests', 'cpuMs', 'memoryMbMs', 'kvReads', 'kvWrites', 'egressBytes'] as const;

async function readProfile(path: string): Promise<UsageProfile> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new CliError('CLI_CONFIG_INVALID', `Cannot read the usage profile ${path} as JSON: fix the file.`, {
      cause: error,
    });
  }
  const record = value as Record<string, unknown>;
  const profile: Record<string, number> = {};
  for (const field of USAGE_FIELDS) {
    const item = record?.[field] ?? 0;
    if (typeof item !== 'number' || !Number.isSafeInteger(item) || item < 0) {
      throw new CliError(
        'CLI_CONFIG_INVALID',
        `${path}: "${field}" must be a whole number ≥ 0. A profile is { ${USAGE_FIELDS.join(', ')} } for a period (e.g. a month).`,
      );
    }
    profile[field] = item;
  }
  return profile as unknown as UsageProfile;
}

/** `mu providers`. */
const providersCommand = chainCommand({
  name: 'providers',
  summary: "List a region's providers with prices (cheapest first with a usage profile).",
  usage: 'mu providers --region <name|id> [--profile <usage.json>] [--json]',
  description:
    'Reads the marketplace through @mu/marketplace. A usage profile is a JSON file\n' +
    '{ "requests", "cpuMs", "memoryMbMs", "kvReads", "kvWrites", "egressBytes" } (e.g. per month);\n' +
    'with it the providers are ranked by what that usage would cost. Prices are shown per million units.',
  options: {
    region: { type: 'string', short: 'r', value: '<name|id>', description: 'the region (name or id)' },
    profile: { type: 'string', value: '<file>', description: 'rank by the cost of this usage profile' },
    all: { type: 'boolean', description: 'include closed offers' },
  },
  example: 'mu providers --region eu-west --profile usage.json',
  async run(input) {
    const profilePath = stringOption(input, 'profile');
    const usage = profilePath ? await readProfile(resolve(input.cwd, profilePath)) : undefined;
    await withChain(input, { signer: false }, async (chain) => {
      const region = await resolveRegion(
        chain,
        stringOption(input, 'region') ?? loadProject(input).config.deploy?.region,
        'providers',
      );
      const decimals = await tokenDecimals(chain);
      const market = createMarketplaceClient({ rpc: chain.rpc, address: chain.marketplace, cacheTtlMs: 0 });
      const offers = await getRegionProviders(market, {
        region,
        metadata: false,
        includeClosed: input.values.all === true,
        ...(usage ? { usage } : {}),
      });
      const data = offers.map((offer) => ({
        provider: offer.provider,
        region: offer.region,
        open: offer.open,
        gatewayURL: offer.gatewayURL,
        deposit: offer.deposit,
        prices: offer.prices,
        ...(offer.cost !== undefined ? { cost: offer.cost, costTokens: formatAmount(offer.cost, decimals) } : {}),
      }));
      printResult(input, { region, decimals, providers: data }, () => {
        if (data.length === 0) return `No open offers in region ${region}.`;
        const headers = ['PROVIDER', 'GATEWAY', 'DEPOSIT', 'PER 1M REQ', 'PER 1M CPU-MS', 'PER 1M KV W'];
        if (usage) headers.push('PROFILE COST');
        return table(
          headers,
          offers.map((offer) => [
            offer.provider,
            offer.gatewayURL,
            formatAmount(offer.deposit, decimals),
            perMillion(offer.prices.perRequest, decimals),
            perMillion(offer.prices.perCpuMs, decimals),
            perMillion(offer.prices.perKvWrite, decimals),
            ...(usage ? [formatAmount(offer.cost ?? 0n, decimals)] : []),
          ]),
        );
      });
    });
  },
});

/** The commands that read the market (`mu providers`), in help order. */
export const marketCommands: readonly Command[] = [providersCommand];

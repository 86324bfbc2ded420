import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  approveToken,
  cancelJob,
  certifyNode,
  claimRefund,
  closeOffer,
  deployJob,
  encryptJobSpec,
  generateEncryptionKey,
  generateNodeKey,
  getCredits,
  getEncryptionPublicKey,
  getJob,
  getMuDomain,
  getOffer,
  getProvider,
  getTokenBalance,
  registerProvider,
  revokeNode,
  setOffer,
  startUnbonding,
  topUpJob,
  updateJobSpec,
  withdrawCredits,
  withdrawDeposit,
} from '@mu/contract-client';
import { createMarketplaceClient, getRegionProviders, type UsageProfile } from '@mu/marketplace';
import { formatUnits, hexlify } from 'ethers';
import {
  type Chain,
  connectChain,
  formatAmount,
  parseAddress,
  parseAmount,
  parseJobId,
  resolveRegion,
  tokenDecimals,
} from '../chain.js';
import { CODE_OPTIONS, prepareSpec } from '../code.js';
import { type Command, type CommandInput, stringOption } from '../command.js';
import { CHAIN_OPTIONS, loadProject, PROJECT_OPTIONS, type Project } from '../config.js';
import { CliError, UsageError } from '../errors.js';
import { fields, printResult, table } from '../output.js';

async function withChain<T>(
  input: CommandInput,
  options: { signer: boolean },
  run: (chain: Chain, project: Project) => Promise<T>,
): Promise<T> {
  const project = loadProject(input);
  const chain = await connectChain(input, project, options);
  try {
    return await run(chain, project);
  } finally {
    chain.close();
  }
}

function signerAddress(chain: Chain): string {
  return chain.wallet!.address;
}

function endpointOf(gatewayURL: string, jobId: bigint): string {
  return `${gatewayURL.replace(/\/+$/, '')}/${jobId}/`;
}

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
const providersCommand: Command = {
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
    ...CHAIN_OPTIONS,
    ...PROJECT_OPTIONS,
  },
  json: true,
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
};

/** `mu deploy`. */
const deployCommand: Command = {
  name: 'deploy',
  summary: 'Deploy the built app: upload the code, encrypt the spec, create the prepaid job (one transaction).',
  usage:
    'mu deploy --provider <addr> --region <name|id> --prepay <amount> (--code-url <url> | --code-dir <dir> --code-base-url <url>)',
  description:
    'Writes the job spec from mu.json (name, env, limits, kv) and the component (sha256, url, size), encrypts it to\n' +
    "the provider's on-chain key, and creates the job with an ERC-2612 permit (no approve transaction).\n" +
    'The amount is in tokens (5 = 5 tokens). Prints the job id and the endpoint {gatewayURL}/{jobId}/.',
  options: {
    provider: {
      type: 'string',
      value: '<addr>',
      description: "the provider's account (env MU_PROVIDER, mu.json deploy.provider)",
    },
    region: { type: 'string', short: 'r', value: '<name|id>', description: 'the region (mu.json deploy.region)' },
    prepay: { type: 'string', value: '<amount>', description: 'tokens put in escrow' },
    ...CODE_OPTIONS,
    ...CHAIN_OPTIONS,
    ...PROJECT_OPTIONS,
  },
  json: true,
  example:
    'mu deploy --provider 0x7099…79C8 --region eu-west --prepay 5 --code-dir ../code --code-base-url http://127.0.0.1:8080',
  async run(input) {
    const prepayText = stringOption(input, 'prepay');
    if (!prepayText) throw new UsageError('--prepay is required (tokens put in escrow, e.g. 5).', 'deploy');
    await withChain(input, { signer: true }, async (chain, project) => {
      const provider = parseAddress(
        stringOption(input, 'provider') ?? input.env.MU_PROVIDER ?? project.config.deploy?.provider,
        '--provider',
        'deploy',
      );
      const region = await resolveRegion(
        chain,
        stringOption(input, 'region') ?? project.config.deploy?.region,
        'deploy',
      );
      const decimals = await tokenDecimals(chain);
      const prepayment = parseAmount(prepayText, decimals, '--prepay', 'deploy');
      const offer = await getOffer(chain.client, { provider, region });
      if (!offer.open) {
        throw new CliError(
          'CLI_OFFER_NOT_OPEN',
          `Provider ${provider} has no open offer in region ${region}: run \`mu providers --region ${region}\` and pick one.`,
        );
      }
      const { spec, copiedTo } = await prepareSpec(input, project, 'deploy');
      input.log(`mu: creating the job (${formatAmount(prepayment, decimals)} tokens in escrow)…`);
      const result = await deployJob(chain.client, { provider, region, spec, prepayment, permit: true });
      const endpoint = endpointOf(offer.gatewayURL, result.jobId);
      const data = {
        jobId: result.jobId,
        endpoint,
        provider,
        region,
        prepayment,
        code: spec.code,
        ...(copiedTo ? { copiedTo } : {}),
        transaction: result.hash,
      };
      printResult(input, data, () =>
        fields([
          ['job', String(result.jobId)],
          ['endpoint', endpoint],
          ['code', `${spec.code.url} (sha256 ${spec.code.sha256}, ${spec.code.size} bytes)`],
          ['escrow', `${formatAmount(prepayment, decimals)} tokens`],
          ['transaction', result.hash],
        ]),
      );
    });
  },
};

function jobCommand(
  name: string,
  summary: string,
  extra: Partial<Command> & Pick<Command, 'example' | 'run'>,
  options: Command['options'] = {},
): Command {
  return {
    name: `job ${name}`,
    summary,
    usage: `mu job ${name} <id>${extra.usage ?? ''}`,
    options: { ...options, ...CHAIN_OPTIONS, ...PROJECT_OPTIONS },
    positionals: { min: 1, max: 1, names: '<id> (the job id)' },
    json: true,
    ...(extra.description ? { description: extra.description } : {}),
    example: extra.example,
    run: extra.run,
  };
}

const jobStatus = jobCommand('status', "Show a job's escrow, state and endpoint.", {
  example: 'mu job status 1 --json',
  async run(input) {
    const jobId = parseJobId(input.positionals[0], 'job status');
    await withChain(input, { signer: false }, async (chain) => {
      const job = await getJob(chain.client, { jobId });
      const decimals = await tokenDecimals(chain);
      const offer = await getOffer(chain.client, { provider: job.provider, region: job.region });
      const state = job.cancelled ? 'cancelled' : job.exhausted ? 'exhausted' : 'active';
      const endpoint = endpointOf(offer.gatewayURL, job.id);
      printResult(input, { ...job, state, endpoint, decimals }, () =>
        fields([
          ['job', String(job.id)],
          ['state', state],
          ['endpoint', endpoint],
          ['client', job.client],
          ['provider', job.provider],
          ['region', String(job.region)],
          ['escrow', `${formatAmount(job.escrow, decimals)} tokens`],
          ...(job.shortfall > 0n ? [['shortfall', `${formatAmount(job.shortfall, decimals)} tokens`] as const] : []),
          ...(job.cancelled ? [['refund after', new Date(Number(job.closesAt) * 1000).toISOString()] as const] : []),
        ]),
      );
    });
  },
});

const jobTopup = jobCommand(
  'topup',
  "Add tokens to a job's escrow (approve + topUp).",
  {
    usage: ' --amount <tokens>',
    example: 'mu job topup 1 --amount 10',
    async run(input) {
      const jobId = parseJobId(input.positionals[0], 'job topup');
      const amountText = stringOption(input, 'amount');
      if (!amountText) throw new UsageError('--amount is required (tokens, e.g. 10).', 'job topup');
      await withChain(input, { signer: true }, async (chain) => {
        const decimals = await tokenDecimals(chain);
        const amount = parseAmount(amountText, decimals, '--amount', 'job topup');
        await approveToken(chain.client, { amount });
        const result = await topUpJob(chain.client, { jobId, amount });
        const job = await getJob(chain.client, { jobId });
        printResult(input, { jobId, amount, escrow: job.escrow, transaction: result.hash }, () =>
          fields([
            ['job', String(jobId)],
            ['added', `${formatAmount(amount, decimals)} tokens`],
            ['escrow', `${formatAmount(job.escrow, decimals)} tokens`],
            ['transaction', result.hash],
          ]),
        );
      });
    },
  },
  { amount: { type: 'string', value: '<tokens>', description: 'tokens to add' } },
);

const jobUpdate = jobCommand(
  'update',
  "Replace a job's code and spec (a new version; nodes pick it up from JobUpdated).",
  {
    usage: ' (--code-url <url> | --code-dir <dir> --code-base-url <url>)',
    example: 'mu build && mu job update 1 --code-dir ../code --code-base-url http://127.0.0.1:8080',
    async run(input) {
      const jobId = parseJobId(input.positionals[0], 'job update');
      await withChain(input, { signer: true }, async (chain, project) => {
        const job = await getJob(chain.client, { jobId });
        const { spec } = await prepareSpec(input, project, 'job update');
        const [{ encryptionKey }, { chainId }] = await Promise.all([
          getProvider(chain.client, { provider: job.provider }),
          getMuDomain(chain.client),
        ]);
        const encryptedSpec = encryptJobSpec(spec, encryptionKey, {
          chainId,
          contract: chain.marketplace,
          client: signerAddress(chain),
          provider: job.provider,
        });
        const result = await updateJobSpec(chain.client, { jobId, encryptedSpec });
        printResult(input, { jobId, code: spec.code, transaction: result.hash }, () =>
          fields([
            ['job', String(jobId)],
            ['code', `${spec.code.url} (sha256 ${spec.code.sha256})`],
            ['transaction', result.hash],
          ]),
        );
      });
    },
  },
  CODE_OPTIONS,
);

const jobCancel = jobCommand(
  'cancel',
  'Cancel a job (the rest of the escrow is refunded after the settlement window).',
  {
    example: 'mu job cancel 1',
    async run(input) {
      const jobId = parseJobId(input.positionals[0], 'job cancel');
      await withChain(input, { signer: true }, async (chain) => {
        const result = await cancelJob(chain.client, { jobId });
        const job = await getJob(chain.client, { jobId });
        const refundAfter = new Date(Number(job.closesAt) * 1000).toISOString();
        printResult(input, { jobId, closesAt: job.closesAt, transaction: result.hash }, () =>
          fields([
            ['job', String(jobId)],
            ['state', 'cancelled'],
            ['refund after', `${refundAfter} (then: mu job withdraw ${jobId})`],
            ['transaction', result.hash],
          ]),
        );
      });
    },
  },
);

const jobWithdraw = jobCommand(
  'withdraw',
  'Claim the refund of a cancelled job once its settlement window has closed.',
  {
    example: 'mu job withdraw 1',
    async run(input) {
      const jobId = parseJobId(input.positionals[0], 'job withdraw');
      await withChain(input, { signer: true }, async (chain) => {
        const job = await getJob(chain.client, { jobId });
        const decimals = await tokenDecimals(chain);
        const before = await getTokenBalance(chain.client, { account: job.client });
        const result = await claimRefund(chain.client, { jobId });
        const refunded = (await getTokenBalance(chain.client, { account: job.client })) - before;
        printResult(input, { jobId, refunded, to: job.client, transaction: result.hash }, () =>
          fields([
            ['job', String(jobId)],
            ['refunded', `${formatAmount(refunded, decimals)} tokens to ${job.client}`],
            ['transaction', result.hash],
          ]),
        );
      });
    },
  },
);

async function writeSecretFile(path: string, value: unknown, force: boolean): Promise<void> {
  if (!force && existsSync(path)) {
    throw new CliError('CLI_FILE_EXISTS', `${path} exists: choose another --out, or pass --force to replace it.`);
  }
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

const providerRegister: Command = {
  name: 'provider register',
  summary: 'Register the account as a provider: encryption key, metadata URI and deposit (approve + register).',
  usage: 'mu provider register --deposit <tokens> [--metadata-uri <uri>] [--encryption-key-file <path>]',
  description:
    'The encryption key is the one job specs are encrypted to. Its private half stays in --encryption-key-file\n' +
    '(made with mode 0600 when the file does not exist; default mu-encryption-key.json); only the public key goes on chain.',
  options: {
    deposit: { type: 'string', value: '<tokens>', description: 'tokens staked (at least the marketplace minimum)' },
    'metadata-uri': { type: 'string', value: '<uri>', description: 'where your metadata document lives' },
    'encryption-key-file': { type: 'string', value: '<path>', description: 'the encryption key file (read or made)' },
    ...CHAIN_OPTIONS,
    ...PROJECT_OPTIONS,
  },
  json: true,
  example: 'mu provider register --deposit 500 --metadata-uri https://provider.example/mu.json',
  async run(input) {
    const depositText = stringOption(input, 'deposit');
    if (!depositText) throw new UsageError('--deposit is required (tokens, e.g. 500).', 'provider register');
    const keyPath = resolve(input.cwd, stringOption(input, 'encryption-key-file') ?? 'mu-encryption-key.json');
    await withChain(input, { signer: true }, async (chain) => {
      const decimals = await tokenDecimals(chain);
      const deposit = parseAmount(depositText, decimals, '--deposit', 'provider register');
      let publicKey: string;
      let created = false;
      if (existsSync(keyPath)) {
        let privateKey: string;
        try {
          privateKey = String((JSON.parse(await readFile(keyPath, 'utf8')) as { privateKey?: unknown }).privateKey);
          publicKey = getEncryptionPublicKey(privateKey);
        } catch (error) {
          throw new CliError(
            'CLI_KEY_INVALID',
            `${keyPath} does not hold an encryption key ({ "privateKey": "0x…" }): remove it to make a new one.`,
            { cause: error },
          );
        }
      } else {
        const key = generateEncryptionKey();
        await writeSecretFile(keyPath, { publicKey: key.publicKey, privateKey: hexlify(key.privateKey) }, false);
        publicKey = key.publicKey;
        created = true;
      }
      await approveToken(chain.client, { amount: deposit });
      const result = await registerProvider(chain.client, {
        encryptionKey: publicKey,
        metadataURI: stringOption(input, 'metadata-uri') ?? '',
        deposit,
      });
      const data = {
        provider: signerAddress(chain),
        encryptionPublicKey: publicKey,
        encryptionKeyFile: keyPath,
        keyFileCreated: created,
        deposit,
        transaction: result.hash,
      };
      printResult(input, data, () =>
        fields([
          ['provider', data.provider],
          ['encryption key', `${publicKey} (private key ${created ? 'written to' : 'read from'} ${keyPath})`],
          ['deposit', `${formatAmount(deposit, decimals)} tokens`],
          ['transaction', result.hash],
          ['next', 'mu provider offer --region <r> --gateway-url <url> --per-request <price>'],
        ]),
      );
    });
  },
};

const PRICE_OPTIONS = {
  'per-request': 'perRequest',
  'per-cpu-ms': 'perCpuMs',
  'per-memory-mb-ms': 'perMemoryMbMs',
  'per-kv-read': 'perKvRead',
  'per-kv-write': 'perKvWrite',
  'per-egress-byte': 'perEgressByte',
} as const;

const providerOffer: Command = {
  name: 'provider offer',
  summary: 'Open or update your offer in a region (gateway URL and prices), or close it.',
  usage: 'mu provider offer --region <name|id> --gateway-url <url> [--per-request <n> …] | --close',
  description:
    'Prices are whole numbers in token base units × 10^-9 (the contract’s PRICE_SCALE_DECIMALS): with a 6-decimal\n' +
    'token, --per-request 1000000 is 0.001 base units per request = 1 token per 10^9 requests. Absent prices are 0.',
  options: {
    region: { type: 'string', short: 'r', value: '<name|id>', description: 'the region' },
    'gateway-url': { type: 'string', value: '<url>', description: 'your gateway: endpoints are <url>/<jobId>/' },
    ...Object.fromEntries(
      Object.keys(PRICE_OPTIONS).map((name) => [
        name,
        {
          type: 'string',
          value: '<n>',
          description: `price ${name.slice(4).replaceAll('-', ' ')} (base units × 10^-9)`,
        },
      ]),
    ),
    close: { type: 'boolean', description: 'close the offer to new jobs' },
    ...CHAIN_OPTIONS,
    ...PROJECT_OPTIONS,
  },
  json: true,
  example:
    'mu provider offer --region eu-west --gateway-url https://eu.provider.example --per-request 1000000 --per-cpu-ms 50000',
  async run(input) {
    await withChain(input, { signer: true }, async (chain) => {
      const region = await resolveRegion(chain, stringOption(input, 'region'), 'provider offer');
      if (input.values.close === true) {
        const result = await closeOffer(chain.client, { region });
        printResult(input, { region, open: false, transaction: result.hash }, () =>
          fields([
            ['region', String(region)],
            ['offer', 'closed'],
            ['transaction', result.hash],
          ]),
        );
        return;
      }
      const gatewayURL = stringOption(input, 'gateway-url');
      if (!gatewayURL || !/^https?:\/\//.test(gatewayURL)) {
        throw new UsageError('--gateway-url is required: the http(s) URL of your gateway.', 'provider offer');
      }
      const prices = Object.fromEntries(
        Object.entries(PRICE_OPTIONS).map(([option, field]) => {
          const text = stringOption(input, option) ?? '0';
          if (!/^\d+$/.test(text)) {
            throw new UsageError(
              `--${option} must be a whole number (base units × 10^-9), got '${text}'.`,
              'provider offer',
            );
          }
          return [field, BigInt(text)];
        }),
      ) as Record<(typeof PRICE_OPTIONS)[keyof typeof PRICE_OPTIONS], bigint>;
      const result = await setOffer(chain.client, { region, gatewayURL, prices });
      printResult(input, { region, gatewayURL, prices, open: true, transaction: result.hash }, () =>
        fields([
          ['region', String(region)],
          ['gateway', gatewayURL],
          [
            'prices',
            Object.entries(prices)
              .map(([field, price]) => `${field}=${price}`)
              .join(' '),
          ],
          ['transaction', result.hash],
        ]),
      );
    });
  },
};

const providerCertifyNode: Command = {
  name: 'provider certify-node',
  summary: "Sign a certificate for one of your nodes' keys in a region (off chain; give it to the node).",
  usage: 'mu provider certify-node --node <addr> --region <name|id> [--days <n> | --not-after <unix>] [--out <file>]',
  options: {
    node: { type: 'string', value: '<addr>', description: "the node's address (mu node keygen prints it)" },
    region: { type: 'string', short: 'r', value: '<name|id>', description: 'the region the node serves' },
    days: { type: 'string', value: '<n>', description: 'valid for this many days (default 30)' },
    'not-after': { type: 'string', value: '<unix>', description: 'valid until this unix time (seconds)' },
    out: { type: 'string', short: 'o', value: '<file>', description: 'write the certificate here (else stdout)' },
    ...CHAIN_OPTIONS,
    ...PROJECT_OPTIONS,
  },
  json: true,
  example: 'mu provider certify-node --node 0x3C44…93BC --region eu-west --days 90 --out node-1.cert.json',
  async run(input) {
    const node = parseAddress(stringOption(input, 'node'), '--node', 'provider certify-node');
    const notAfterText = stringOption(input, 'not-after');
    const daysText = stringOption(input, 'days') ?? '30';
    if (notAfterText !== undefined && !/^\d+$/.test(notAfterText)) {
      throw new UsageError(`--not-after must be unix seconds, got '${notAfterText}'.`, 'provider certify-node');
    }
    if (!/^[1-9]\d*$/.test(daysText)) {
      throw new UsageError(`--days must be a whole number from 1, got '${daysText}'.`, 'provider certify-node');
    }
    await withChain(input, { signer: true }, async (chain) => {
      const region = await resolveRegion(chain, stringOption(input, 'region'), 'provider certify-node');
      const block = await chain.provider.getBlock('latest');
      const notAfter =
        notAfterText !== undefined
          ? BigInt(notAfterText)
          : BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000)) + BigInt(daysText) * 86_400n;
      const domain = await getMuDomain(chain.client);
      const signed = await certifyNode(chain.wallet!, { node, region, notAfter }, domain);
      const outPath = stringOption(input, 'out');
      const document = {
        certificate: { ...signed.certificate, notAfter: signed.certificate.notAfter.toString() },
        signature: signed.signature,
        chainId: domain.chainId.toString(),
        marketplace: chain.marketplace,
      };
      if (outPath) await writeFile(resolve(input.cwd, outPath), `${JSON.stringify(document, null, 2)}\n`);
      if (input.json || !outPath) {
        input.out(`${JSON.stringify(document, null, 2)}\n`);
      } else {
        input.out(
          `${fields([
            ['node', node],
            ['region', String(region)],
            ['valid until', new Date(Number(notAfter) * 1000).toISOString()],
            ['written to', resolve(input.cwd, outPath)],
          ])}\n`,
        );
      }
    });
  },
};

const providerRevokeNode: Command = {
  name: 'provider revoke-node',
  summary: 'Revoke every certificate of a node (on chain): its usage reports are refused from now on.',
  usage: 'mu provider revoke-node --node <addr>',
  options: {
    node: { type: 'string', value: '<addr>', description: "the node's address" },
    ...CHAIN_OPTIONS,
    ...PROJECT_OPTIONS,
  },
  json: true,
  example: 'mu provider revoke-node --node 0x3C44…93BC',
  async run(input) {
    const node = parseAddress(stringOption(input, 'node'), '--node', 'provider revoke-node');
    await withChain(input, { signer: true }, async (chain) => {
      const result = await revokeNode(chain.client, { node });
      printResult(input, { node, revoked: true, transaction: result.hash }, () =>
        fields([
          ['node', node],
          ['revoked', 'yes'],
          ['transaction', result.hash],
        ]),
      );
    });
  },
};

const providerWithdraw: Command = {
  name: 'provider withdraw',
  summary: 'Withdraw your earnings (credits), or with --deposit your unbonded deposit.',
  usage: 'mu provider withdraw [--deposit]',
  options: {
    deposit: { type: 'boolean', description: 'withdraw the unbonded deposit instead (after the unbonding delay)' },
    ...CHAIN_OPTIONS,
    ...PROJECT_OPTIONS,
  },
  json: true,
  example: 'mu provider withdraw --json',
  async run(input) {
    await withChain(input, { signer: true }, async (chain) => {
      const account = signerAddress(chain);
      const decimals = await tokenDecimals(chain);
      const before = await getTokenBalance(chain.client, { account });
      const credits = input.values.deposit === true ? undefined : await getCredits(chain.client, { account });
      const result =
        input.values.deposit === true ? await withdrawDeposit(chain.client) : await withdrawCredits(chain.client);
      const withdrawn = (await getTokenBalance(chain.client, { account })) - before;
      printResult(
        input,
        { account, withdrawn, kind: input.values.deposit === true ? 'deposit' : 'credits', transaction: result.hash },
        () =>
          fields([
            ['account', account],
            [
              'withdrawn',
              `${formatAmount(withdrawn, decimals)} tokens${credits !== undefined ? ' (credits)' : ' (deposit)'}`,
            ],
            ['transaction', result.hash],
          ]),
      );
    });
  },
};

const providerUnbond: Command = {
  name: 'provider unbond',
  summary: 'Start unbonding part of your deposit; withdraw it after the delay with `mu provider withdraw --deposit`.',
  usage: 'mu provider unbond --amount <tokens>',
  options: {
    amount: { type: 'string', value: '<tokens>', description: 'tokens of the deposit to unbond' },
    ...CHAIN_OPTIONS,
    ...PROJECT_OPTIONS,
  },
  json: true,
  example: 'mu provider unbond --amount 100',
  async run(input) {
    const amountText = stringOption(input, 'amount');
    if (!amountText) throw new UsageError('--amount is required (tokens, e.g. 100).', 'provider unbond');
    await withChain(input, { signer: true }, async (chain) => {
      const decimals = await tokenDecimals(chain);
      const amount = parseAmount(amountText, decimals, '--amount', 'provider unbond');
      const result = await startUnbonding(chain.client, { amount });
      const info = await getProvider(chain.client, { provider: signerAddress(chain) });
      const releaseAt = new Date(Number(info.unbondingReleaseAt) * 1000).toISOString();
      printResult(
        input,
        { amount, unbonding: info.unbonding, releaseAt: info.unbondingReleaseAt, transaction: result.hash },
        () =>
          fields([
            ['unbonding', `${formatAmount(info.unbonding, decimals)} tokens`],
            ['withdraw after', `${releaseAt} (mu provider withdraw --deposit)`],
            ['transaction', result.hash],
          ]),
      );
    });
  },
};

const nodeKeygen: Command = {
  name: 'node keygen',
  summary: 'Make a node signing key: written to a file (mode 0600), only the address is printed.',
  usage: 'mu node keygen [--out <file>] [--force]',
  options: {
    out: {
      type: 'string',
      short: 'o',
      value: '<file>',
      description: 'where to write the key (default mu-node-key.json)',
    },
    force: { type: 'boolean', description: 'replace an existing file' },
  },
  json: true,
  example: 'mu node keygen --out node-1.key.json && mu provider certify-node --node <printed address> --region eu-west',
  async run(input) {
    const path = resolve(input.cwd, stringOption(input, 'out') ?? 'mu-node-key.json');
    const key = generateNodeKey();
    await writeSecretFile(path, { address: key.address, privateKey: key.privateKey }, input.values.force === true);
    printResult(input, { address: key.address, file: path }, () =>
      fields([
        ['address', key.address],
        ['key file', `${path} (keep it secret; the node signs usage reports with it)`],
      ]),
    );
  },
};

/** The chain commands, in help order. */
export const chainCommands: readonly Command[] = [
  providersCommand,
  deployCommand,
  jobStatus,
  jobTopup,
  jobUpdate,
  jobCancel,
  jobWithdraw,
  providerRegister,
  providerOffer,
  providerCertifyNode,
  providerRevokeNode,
  providerUnbond,
  providerWithdraw,
  nodeKeygen,
];

import {
  approveToken,
  cancelJob,
  claimRefund,
  deployJob,
  encryptJobSpec,
  getJob,
  getMuDomain,
  getOffer,
  getProvider,
  getTokenBalance,
  topUpJob,
  updateJobSpec,
} from '@mu/contract-client';
import { formatAmount, parseAddress, parseAmount, parseJobId, resolveRegion, tokenDecimals } from '../chain.js';
import { CODE_OPTIONS, prepareSpec } from '../code.js';
import { type Command, stringOption } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { fields, printResult } from '../output.js';
import { chainCommand, signerAddress, withChain } from './chain-command.js';

function endpointOf(gatewayURL: string, jobId: bigint): string {
  return `${gatewayURL.replace(/\/+$/, '')}/${jobId}/`;
}

/** `mu deploy`. */
const deployCommand = chainCommand({
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
  },
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
});

/** A `mu job <name> <id>` command: the job id, then its own options and the chain options. */
function jobCommand(
  name: string,
  summary: string,
  extra: Partial<Command> & Pick<Command, 'example' | 'run'>,
  options: Command['options'] = {},
): Command {
  return chainCommand({
    name: `job ${name}`,
    summary,
    usage: `mu job ${name} <id>${extra.usage ?? ''}`,
    options,
    positionals: { min: 1, max: 1, names: '<id> (the job id)' },
    ...(extra.description ? { description: extra.description } : {}),
    example: extra.example,
    run: extra.run,
  });
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

/** The commands of a client's jobs (`mu deploy`, `mu job …`), in help order. */
export const jobCommands: readonly Command[] = [deployCommand, jobStatus, jobTopup, jobUpdate, jobCancel, jobWithdraw];

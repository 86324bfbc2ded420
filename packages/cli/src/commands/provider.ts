import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  approveToken,
  certifyNode,
  closeOffer,
  generateEncryptionKey,
  getCredits,
  getEncryptionPublicKey,
  getMuDomain,
  getProvider,
  getTokenBalance,
  registerProvider,
  revokeNode,
  setOffer,
  startUnbonding,
  withdrawCredits,
  withdrawDeposit,
} from '@mu/contract-client';
import { hexlify } from 'ethers';
import { formatAmount, parseAddress, parseAmount, resolveRegion, tokenDecimals } from '../chain.js';
import { type Command, stringOption } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { fields, printResult } from '../output.js';
import { writeSecretFile } from '../secret-file.js';
import { chainCommand, signerAddress, withChain } from './chain-command.js';

const providerRegister = chainCommand({
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
  },
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
});

const PRICE_OPTIONS = {
  'per-request': 'perRequest',
  'per-cpu-ms': 'perCpuMs',
  'per-memory-mb-ms': 'perMemoryMbMs',
  'per-kv-read': 'perKvRead',
  'per-kv-write': 'perKvWrite',
  'per-egress-byte': 'perEgressByte',
} as const;

const providerOffer = chainCommand({
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
  },
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
});

const providerCertifyNode = chainCommand({
  name: 'provider certify-node',
  summary: "Sign a certificate for one of your nodes' keys in a region (off chain; give it to the node).",
  usage: 'mu provider certify-node --node <addr> --region <name|id> [--days <n> | --not-after <unix>] [--out <file>]',
  options: {
    node: { type: 'string', value: '<addr>', description: "the node's address (mu node keygen prints it)" },
    region: { type: 'string', short: 'r', value: '<name|id>', description: 'the region the node serves' },
    days: { type: 'string', value: '<n>', description: 'valid for this many days (default 30)' },
    'not-after': { type: 'string', value: '<unix>', description: 'valid until this unix time (seconds)' },
    out: { type: 'string', short: 'o', value: '<file>', description: 'write the certificate here (else stdout)' },
  },
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
});

const providerRevokeNode = chainCommand({
  name: 'provider revoke-node',
  summary: 'Revoke every certificate of a node (on chain): its usage reports are refused from now on.',
  usage: 'mu provider revoke-node --node <addr>',
  options: {
    node: { type: 'string', value: '<addr>', description: "the node's address" },
  },
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
});

const providerWithdraw = chainCommand({
  name: 'provider withdraw',
  summary: 'Withdraw your earnings (credits), or with --deposit your unbonded deposit.',
  usage: 'mu provider withdraw [--deposit]',
  options: {
    deposit: { type: 'boolean', description: 'withdraw the unbonded deposit instead (after the unbonding delay)' },
  },
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
});

const providerUnbond = chainCommand({
  name: 'provider unbond',
  summary: 'Start unbonding part of your deposit; withdraw it after the delay with `mu provider withdraw --deposit`.',
  usage: 'mu provider unbond --amount <tokens>',
  options: {
    amount: { type: 'string', value: '<tokens>', description: 'tokens of the deposit to unbond' },
  },
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
});

/** A provider's commands (`mu provider …`), in help order. */
export const providerCommands: readonly Command[] = [
  providerRegister,
  providerOffer,
  providerCertifyNode,
  providerRevokeNode,
  providerUnbond,
  providerWithdraw,
];

import type { Eip1193Provider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certifyNode,
  createJob,
  createMuClientFromEip1193,
  getJob,
  getMuDomain,
  OfferNotOpenError,
  verifyNodeCertificate,
  watchJobs,
} from '../src/index.js';
import { type Network, startNetwork } from './fixtures/network.js';

let net: Network;
/** What a browser wallet offers: `request({ method, params })`, errors as `{ code, message, data }`. Here anvil, which holds the dev keys unlocked. */
let ethereum: Eip1193Provider;
beforeAll(async () => {
  net = await startNetwork();
  let id = 0;
  ethereum = {
    async request({ method, params }) {
      const response = await fetch(net.anvil.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: params ?? [] }),
      });
      const body = (await response.json()) as {
        result?: unknown;
        error?: { code: number; message: string; data?: unknown };
      };
      if (body.error) throw Object.assign(new Error(body.error.message), body.error);
      return body.result;
    },
  };
});
afterAll(async () => {
  await net?.anvil.stop();
});

describe('an EIP-1193 browser provider', () => {
  it('creates a job with a permit signed through eth_signTypedData_v4 and reads it back', async () => {
    const client = await createMuClientFromEip1193(ethereum, {
      address: net.mu.marketplace,
      account: net.wallets.client.address,
    });
    expect(await client.signer!.getAddress()).toBe(net.wallets.client.address);
    const { jobId, receipt } = await createJob(client, {
      provider: net.wallets.provider.address,
      region: 1,
      encryptedSpec: net.envelope(),
      prepayment: 2_000_000n,
      permit: true,
    });
    expect((await getJob(client, { jobId })).escrow).toBe(2_000_000n);
    const events = [];
    for await (const event of watchJobs(client, {
      provider: net.wallets.provider.address,
      region: 1,
      fromBlock: net.mu.deployBlock,
      toBlock: receipt.blockNumber,
      pollingIntervalMs: 5,
    })) {
      events.push(event);
    }
    expect(events.map((event) => [event.type, event.jobId])).toEqual([['JobCreated', jobId]]);
  });

  it('decodes custom errors from the wallet error shape', async () => {
    const client = await createMuClientFromEip1193(ethereum, {
      address: net.mu.marketplace,
      account: net.wallets.client.address,
    });
    const error = await createJob(client, {
      provider: net.wallets.provider.address,
      region: 2,
      encryptedSpec: '0x01',
      prepayment: 1n,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OfferNotOpenError);
    expect(error).toMatchObject({
      code: 'CONTRACT_OFFER_NOT_OPEN',
      args: { provider: net.wallets.provider.address, region: 2 },
    });
  });

  it('lets a provider certify a node from the wallet', async () => {
    const client = await createMuClientFromEip1193(ethereum, {
      address: net.mu.marketplace,
      account: net.wallets.provider.address,
    });
    const domain = await getMuDomain(client);
    const signed = await certifyNode(
      client.signer!,
      { node: net.nodeKey.address, region: 1, notAfter: 4_000_000_000n },
      domain,
    );
    expect(signed.signature).toBe(net.certificate.signature);
    expect(verifyNodeCertificate(signed, domain)).toBe(true);
  });

  it('makes a read-only client without asking for accounts', async () => {
    const client = await createMuClientFromEip1193(ethereum, { address: net.mu.marketplace, readOnly: true });
    expect(client.signer).toBeUndefined();
  });
});

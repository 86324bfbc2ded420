import { type OfferRecord, toOfferRecord, toProviderRecord } from '@mu/contracts';
import {
  checkAddress,
  decodeMarketplace,
  type MarketplaceClient,
  marketplaceCall,
  type ReadOutcome,
  readBatch,
} from './client.js';
import { rankByCost, type UsageProfile } from './cost.js';
import { ProviderNotFoundError, RegionNotFoundError } from './errors.js';
import { abiPage, firstPage, type PageDecoder, readAllPages, regionPage } from './market.js';
import { fetchProviderMetadata, type MetadataOptions, type ProviderMetadata } from './metadata.js';
import { decodeOfferPage } from './offer-page.js';

/** A provider's offer in a region, with what its metadata discloses and, when ranked, the cost of the profile. */
export interface ProviderOffer extends OfferRecord {
  /** Absent when `metadata: false`. */
  metadata?: ProviderMetadata;
  /** Token base units the usage profile would cost (only when `usage` was given). */
  cost?: bigint;
}

/** Options of {@link getRegionProviders}. */
export interface RegionProvidersOptions {
  region: number;
  /** Rank by what this profile would cost, cheapest first (else in listing order). */
  usage?: UsageProfile;
  /**
   * Include offers that cannot take a job: closed by the provider, or of a provider whose deposit fell below the
   * marketplace minimum (default false).
   */
  includeClosed?: boolean;
  /** Read each provider's metadata document (default true; `data:` URIs cost no request). */
  metadata?: boolean | MetadataOptions;
}

const fastPages = new WeakMap<ReadOutcome, { items: OfferRecord[]; total: bigint }>();

/**
 * @internal The page decoder of `getRegionOffers`: the hand-written decoder for answers (memoized with the cached
 * read), the ABI for reverts and for anything it does not recognize.
 */
export function offerPage(client: MarketplaceClient): PageDecoder<OfferRecord> {
  const slow = abiPage(client, 'getRegionOffers', toOfferRecord);
  return (outcome) => {
    if (!outcome.ok || outcome.value === '0x') return slow(outcome);
    let page = fastPages.get(outcome);
    if (!page) {
      try {
        page = decodeOfferPage(outcome.value as string);
      } catch {
        return slow(outcome);
      }
      fastPages.set(outcome, page);
    }
    return page;
  };
}

function checkRegion(region: unknown): number {
  if (typeof region !== 'number' || !Number.isSafeInteger(region) || region < 1 || region > 0xffffffff) {
    throw new RangeError(`region must be a region id (a whole number from 1), got ${String(region)}.`);
  }
  return region;
}

/** @internal Resolves metadata documents, each URI once, through the client's cache. */
export async function resolveMetadata(
  client: MarketplaceClient,
  uris: readonly string[],
  options: MetadataOptions,
): Promise<Map<string, ProviderMetadata>> {
  const distinct = [...new Set(uris)];
  const documents = await Promise.all(
    distinct.map((uri) => {
      const key = `metadata:${uri}`;
      let promise = client.cache.get(key) as Promise<ProviderMetadata> | undefined;
      if (!promise) {
        promise = fetchProviderMetadata(uri, options);
        client.cache.set(key, promise);
      }
      return promise;
    }),
  );
  return new Map(distinct.map((uri, index) => [uri, documents[index]!]));
}

/**
 * The providers of a region with their deposit, gateway URL, prices and metadata; ranked by cost when a
 * usage profile is given. One `eth_call` per 100 providers (batched with the region check), whatever the
 * number of providers: no call per provider.
 *
 * @throws {RegionNotFoundError} `MARKETPLACE_UNKNOWN_REGION`; {@link RangeError} for a malformed region id.
 * @example
 * ```ts
 * const offers = await getRegionProviders(client, { region: 1, usage: { requests: 1_000_000, cpuMs: 2_000_000,
 *   memoryMbMs: 0, kvReads: 0, kvWrites: 0, egressBytes: 0 } });
 * console.log(offers[0]?.provider, offers[0]?.cost);
 * ```
 */
export async function getRegionProviders(
  client: MarketplaceClient,
  options: RegionProvidersOptions,
): Promise<ProviderOffer[]> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
  const region = checkRegion(options.region);
  const [countOutcome, minimumOutcome, pageOutcome] = await readBatch(client, [
    marketplaceCall(client, 'regionCount'),
    marketplaceCall(client, 'minProviderDeposit'),
    firstPage(client, 'getRegionOffers', [region]),
  ]);
  const regionCount = Number(decodeMarketplace(client, 'regionCount', countOutcome!)[0]);
  if (region > regionCount)
    throw new RegionNotFoundError(region, { details: `the marketplace has ${regionCount} regions` });
  const { items } = await readAllPages(client, 'getRegionOffers', [region], offerPage(client), {
    outcome: pageOutcome!,
  });
  const minimum = decodeMarketplace(client, 'minProviderDeposit', minimumOutcome!)[0] as bigint;
  // createJob refuses a closed offer and a provider under the minimum deposit.
  let offers: ProviderOffer[] = options.includeClosed
    ? items
    : items.filter((offer) => offer.open && offer.deposit >= minimum);
  // The decoded page is shared with the cache: hand out copies.
  offers = offers.map((offer) => ({ ...offer }));
  const metadataOption = options.metadata ?? true;
  if (metadataOption !== false) {
    const documents = await resolveMetadata(
      client,
      offers.map((offer) => offer.metadataURI),
      metadataOption === true ? {} : metadataOption,
    );
    offers = offers.map((offer) => ({ ...offer, metadata: documents.get(offer.metadataURI)! }));
  }
  return options.usage ? rankByCost(offers, options.usage) : offers;
}

/** A provider: its stake, keys, metadata, offers in every region and job count. */
export interface ProviderDetails {
  provider: string;
  /** Token base units staked. */
  deposit: bigint;
  /** Token base units waiting for the unbonding delay. */
  unbonding: bigint;
  /** Unix seconds when `unbonding` can be withdrawn. */
  unbondingReleaseAt: bigint;
  activeJobs: number;
  /** Every job ever created with this provider. */
  jobCount: bigint;
  /** Earnings not yet withdrawn. */
  credits: bigint;
  encryptionKey: string;
  metadataURI: string;
  metadata?: ProviderMetadata;
  /** The offers the provider ever made (open or closed), with the region's name. */
  offers: (Omit<OfferRecord, 'deposit' | 'encryptionKey' | 'metadataURI' | 'provider'> & { regionName: string })[];
}

/**
 * One provider's details (two round trips).
 *
 * @throws {ProviderNotFoundError} `MARKETPLACE_UNKNOWN_PROVIDER` when the account never registered;
 *   {@link TypeError} for a malformed address.
 * @example
 * ```ts
 * const details = await getProviderDetails(client, { provider: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' });
 * console.log(details.deposit, details.offers.length);
 * ```
 */
export async function getProviderDetails(
  client: MarketplaceClient,
  options: { provider: string; metadata?: boolean | MetadataOptions },
): Promise<ProviderDetails> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
  const provider = checkAddress(options.provider, 'provider');
  const [providerOutcome, regionsOutcome, jobsOutcome, creditsOutcome] = await readBatch(client, [
    marketplaceCall(client, 'getProvider', [provider]),
    firstPage(client, 'getRegions', []),
    marketplaceCall(client, 'getProviderJobs', [provider, 0, 0]),
    marketplaceCall(client, 'credits', [provider]),
  ]);
  const view = toProviderRecord(decodeMarketplace(client, 'getProvider', providerOutcome!)[0]);
  if (!view.registered) throw new ProviderNotFoundError(provider);
  const regions = await readAllPages(client, 'getRegions', [], regionPage(client), { outcome: regionsOutcome! });
  const offerOutcomes = await readBatch(
    client,
    regions.items.map((region) => marketplaceCall(client, 'getOffer', [provider, region.id])),
  );
  const offers: ProviderDetails['offers'] = [];
  offerOutcomes.forEach((outcome, index) => {
    const offer = toOfferRecord(decodeMarketplace(client, 'getOffer', outcome)[0]);
    // An empty gateway URL means the provider never made an offer in that region.
    if (offer.gatewayURL === '') return;
    const region = regions.items[index]!;
    offers.push({
      region: region.id,
      regionName: region.name,
      open: offer.open,
      gatewayURL: offer.gatewayURL,
      prices: offer.prices,
    });
  });
  const details: ProviderDetails = {
    provider,
    deposit: view.deposit,
    unbonding: view.unbonding,
    unbondingReleaseAt: view.unbondingReleaseAt,
    activeJobs: view.activeJobs,
    jobCount: decodeMarketplace(client, 'getProviderJobs', jobsOutcome!)[1] as bigint,
    credits: decodeMarketplace(client, 'credits', creditsOutcome!)[0] as bigint,
    encryptionKey: view.encryptionKey,
    metadataURI: view.metadataURI,
    offers,
  };
  const metadataOption = options.metadata ?? true;
  if (metadataOption !== false) {
    const documents = await resolveMetadata(
      client,
      [details.metadataURI],
      metadataOption === true ? {} : metadataOption,
    );
    details.metadata = documents.get(details.metadataURI)!;
  }
  return details;
}

// The example page: regions, the providers of a region ranked by the cost of a usage profile, and one
// provider's details and jobs, read from a chain with @mu/marketplace. Everything from the chain or from a
// provider's metadata is untrusted text: it goes into the page with textContent only.
import {
  createMarketplaceClient,
  type Eip1193Provider,
  getMarketplaceInfo,
  getProviderDetails,
  getProviderJobs,
  getRegionProviders,
  getRegions,
  MarketplaceError,
  type MarketplaceInfo,
  PRICE_SCALE_DECIMALS,
  type ProviderOffer,
  type UsageProfile,
} from '@mu/marketplace';
import { formatUnits } from 'ethers';

const params = new URLSearchParams(location.search);
// `?rpc=` wins; else the browser wallet (EIP-1193) if there is one; else a local node.
const wallet = (window as { ethereum?: Eip1193Provider }).ethereum;
const rpc: string | Eip1193Provider = params.get('rpc') ?? wallet ?? 'http://127.0.0.1:8545';
const address = params.get('marketplace') ?? '';

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function el(tag: string, attributes: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

function showError(error: unknown): void {
  const banner = byId('error');
  banner.hidden = false;
  banner.textContent =
    error instanceof MarketplaceError
      ? `${error.code}: ${error.shortMessage}`
      : `Error: ${(error as Error)?.message ?? error}`;
}

let info: MarketplaceInfo;
let selectedRegion = 1;
let selectedProvider: string | undefined;
const regionNames = new Map<number, string>();

/** Token amount (base units) as text: `12.5 mUSD`. */
function tokens(amount: bigint): string {
  return `${formatUnits(amount, info.token.decimals)} ${info.token.symbol}`;
}

/** A price (base units × 10⁻⁹ per unit) for `units` units, as tokens. */
function priceFor(price: bigint, units: bigint): string {
  return tokens((price * units) / 10n ** BigInt(PRICE_SCALE_DECIMALS));
}

function shortAddress(account: string): string {
  return `${account.slice(0, 6)}…${account.slice(-4)}`;
}

function readProfile(): UsageProfile {
  const form = byId<HTMLFormElement>('profile');
  const value = (name: string) => {
    const input = form.elements.namedItem(name) as HTMLInputElement;
    const number = Math.max(0, Math.floor(Number(input.value) || 0));
    return BigInt(number);
  };
  return {
    requests: value('requests'),
    cpuMs: value('cpuMs'),
    memoryMbMs: value('memoryMbMs'),
    kvReads: value('kvReads'),
    kvWrites: value('kvWrites'),
    egressBytes: value('egressBytes'),
  };
}

const client = (() => {
  try {
    return createMarketplaceClient({ rpc, address });
  } catch (error) {
    showError(error);
    return undefined;
  }
})();

function providerRow(offer: ProviderOffer, rank: number): HTMLElement {
  const name = offer.metadata?.name ?? shortAddress(offer.provider);
  const row = el(
    'tr',
    {
      'data-provider': offer.provider,
      'data-testid': 'provider-row',
      'aria-selected': String(offer.provider === selectedProvider),
    },
    el('td', {}, String(rank)),
    el(
      'td',
      {},
      el('strong', { 'data-testid': 'provider-name' }, name),
      el('br'),
      el('span', { class: 'address' }, offer.provider),
    ),
    el('td', {}, tokens(offer.deposit)),
    el('td', { 'data-testid': 'price-requests' }, priceFor(offer.prices.perRequest, 1_000_000n)),
    el('td', { 'data-testid': 'price-cpu' }, priceFor(offer.prices.perCpuMs, 1_000_000n)),
    el('td', { 'data-testid': 'price-kv-writes' }, priceFor(offer.prices.perKvWrite, 1_000_000n)),
    el('td', { 'data-testid': 'price-egress' }, priceFor(offer.prices.perEgressByte, 1_000_000_000n)),
    el('td', {}, offer.metadata?.nodeCount === undefined ? 'undisclosed' : String(offer.metadata.nodeCount)),
    el('td', {}, offer.metadata?.hardware ?? 'undisclosed'),
    el('td', { class: 'cost', 'data-testid': 'cost' }, offer.cost === undefined ? '' : tokens(offer.cost)),
  );
  row.addEventListener('click', () => {
    selectedProvider = offer.provider;
    void renderProviders();
    void renderDetails(offer.provider);
  });
  return row;
}

async function renderProviders(): Promise<void> {
  if (!client) return;
  const offers = await getRegionProviders(client, { region: selectedRegion, usage: readProfile() });
  byId('providers').replaceChildren(...offers.map((offer, index) => providerRow(offer, index + 1)));
  byId('providers').setAttribute('data-region', String(selectedRegion));
}

async function renderRegions(): Promise<void> {
  if (!client) return;
  const regions = await getRegions(client);
  for (const region of regions) regionNames.set(region.id, region.name);
  byId('regions').replaceChildren(
    ...regions.map((region) => {
      const button = el(
        'button',
        { type: 'button', 'data-region': String(region.id), 'aria-pressed': String(region.id === selectedRegion) },
        region.name,
      );
      button.addEventListener('click', () => {
        selectedRegion = region.id;
        for (const other of byId('regions').querySelectorAll('button')) {
          other.setAttribute('aria-pressed', String(other === button));
        }
        void renderProviders().catch(showError);
      });
      return button;
    }),
  );
}

async function renderDetails(provider: string): Promise<void> {
  if (!client) return;
  try {
    const [details, jobs] = await Promise.all([
      getProviderDetails(client, { provider }),
      getProviderJobs(client, { provider, limit: 20 }),
    ]);
    const section = byId('details');
    section.hidden = false;
    byId('details-title').textContent = details.metadata?.name ?? shortAddress(provider);
    const facts: [string, string][] = [
      ['Account', details.provider],
      ['Deposit', tokens(details.deposit)],
      ['Active jobs', String(details.activeJobs)],
      ['Jobs ever', String(details.jobCount)],
      ['Website', details.metadata?.website ?? 'undisclosed'],
      ['Nodes', details.metadata?.nodeCount === undefined ? 'undisclosed' : String(details.metadata.nodeCount)],
      ['Hardware', details.metadata?.hardware ?? 'undisclosed'],
    ];
    byId('details-facts').replaceChildren(
      ...facts.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]),
    );
    byId('details-offers').replaceChildren(
      ...details.offers.map((offer) =>
        el(
          'li',
          {},
          `${offer.regionName}: ${offer.open ? 'open' : 'closed'} at ${offer.gatewayURL}, `,
          `${priceFor(offer.prices.perRequest, 1_000_000n)} per 1M requests`,
        ),
      ),
    );
    byId('jobs').replaceChildren(
      ...jobs.items.map((job) =>
        el(
          'tr',
          { 'data-testid': 'job-row' },
          el('td', {}, `#${job.id}`),
          el('td', {}, regionNames.get(job.region) ?? String(job.region)),
          el('td', { class: `status-${job.status}` }, job.status),
          el('td', {}, tokens(job.escrow)),
          el('td', { class: 'address' }, job.endpoint ?? '—'),
        ),
      ),
    );
  } catch (error) {
    showError(error);
  }
}

async function start(): Promise<void> {
  if (!client) return;
  info = await getMarketplaceInfo(client);
  byId('network').textContent =
    `Chain ${info.chainId} · marketplace ${shortAddress(info.address)} · ${info.regionCount} regions · ` +
    `${info.jobCount} jobs · paid in ${info.token.symbol}${info.multicall ? ' · reads batched with Multicall3' : ''}`;
  await renderRegions();
  await renderProviders();
  byId('profile').addEventListener('input', () => void renderProviders().catch(showError));
  document.body.dataset.ready = 'true';
}

start().catch(showError);

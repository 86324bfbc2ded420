import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Devnet as Anvil, startAnvil } from '@mu/contracts/devnet';
import { estimateCost, PRICE_SCALE_DECIMALS } from '@mu/marketplace';
import { type SeededMarket, seededPrices, seedMarket } from '@mu/marketplace/devnet';
import { formatUnits } from 'ethers';
import { type Browser, chromium } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const required = process.env.MU_REQUIRE_CHROMIUM === '1';
const available = existsSync(CHROMIUM);
if (!available) {
  console.log(
    required
      ? `${CHROMIUM} is missing and MU_REQUIRE_CHROMIUM=1: the page test fails (apt-get install -y chromium).`
      : `Skipping the page test: ${CHROMIUM} is missing (apt-get install -y chromium; MU_REQUIRE_CHROMIUM=1 makes this fail).`,
  );
}

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, '.cache/page');
const resultsDir = join(root, 'test-results');
// The page's default usage profile (index.html).
const PROFILE = {
  requests: 1_000_000n,
  cpuMs: 2_000_000n,
  memoryMbMs: 50_000_000n,
  kvReads: 100_000n,
  kvWrites: 10_000n,
  egressBytes: 1_000_000_000n,
};
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/** Serves the built page from `directory` on a free 127.0.0.1 port. */
async function serve(directory: string): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const path = normalize(new URL(request.url ?? '/', 'http://x').pathname).replace(/^(\.\.[/\\])+/, '');
    const file = join(directory, path === '/' ? 'index.html' : path);
    if (!file.startsWith(directory) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response
      .writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
      .end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

function tokens(amount: bigint): string {
  return `${formatUnits(amount, 6)} mUSD`;
}

function perMillion(price: bigint): string {
  return tokens((price * 1_000_000n) / 10n ** BigInt(PRICE_SCALE_DECIMALS));
}

describe.skipIf(!available && !required)('the example page in headless Chromium', () => {
  let anvil: Anvil;
  let market: SeededMarket;
  let site: { url: string; server: Server };
  let browser: Browser;

  beforeAll(async () => {
    anvil = await startAnvil();
    const [admin, p1, p2, p3, p4, p5, c1, c2] = anvil.wallets;
    market = await seedMarket({ admin: admin!, providers: [p1!, p2!, p3!, p4!, p5!], clients: [c1!, c2!] });
    // Built from the packages' source (as the tests import them), into a gitignored cache.
    await build({
      root,
      configFile: join(root, 'vite.config.ts'),
      logLevel: 'warn',
      resolve: { alias: { '@mu/marketplace': join(root, '../../packages/marketplace/src/index.ts') } },
      build: { outDir, emptyOutDir: true },
    });
    site = await serve(outDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (site ? site.server.close(resolve) : resolve(undefined)));
    await anvil?.stop();
  });

  it('lists the seeded providers of a region, ranked by cost, with their prices; shows a provider’s jobs', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${site.url}/?rpc=${encodeURIComponent(anvil.url)}&marketplace=${market.marketplace}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });

    expect(await page.locator('[data-testid="network"]').textContent()).toContain('3 regions · 6 jobs · paid in mUSD');
    expect(await page.locator('[data-testid="regions"] button').allTextContents()).toEqual([
      'eu-west',
      'us-east',
      'ap-south',
    ]);

    // eu-west: Alpine, Borealis, Cumulus and Echo, cheapest first for the page's default profile.
    const expected = [0, 1, 2, 4]
      .map((index) => {
        const prices = seededPrices(index, 1);
        return {
          name: market.providers[index]!.name,
          requests: perMillion(prices.perRequest),
          cpu: perMillion(prices.perCpuMs),
          cost: tokens(estimateCost(PROFILE, prices)),
          raw: estimateCost(PROFILE, prices),
        };
      })
      .sort((a, b) => (a.raw < b.raw ? -1 : 1))
      .map(({ raw: _raw, ...row }) => row);
    const rows = page.locator('[data-testid="provider-row"]');
    expect(await rows.count()).toBe(4);
    const shown = [];
    for (let index = 0; index < 4; index++) {
      const row = rows.nth(index);
      shown.push({
        name: await row.locator('[data-testid="provider-name"]').textContent(),
        requests: await row.locator('[data-testid="price-requests"]').textContent(),
        cpu: await row.locator('[data-testid="price-cpu"]').textContent(),
        cost: await row.locator('[data-testid="cost"]').textContent(),
      });
    }
    expect(shown).toEqual(expected);
    expect(shown[0]!.requests).toMatch(/^0\.\d+ mUSD$/);

    await page.click('[data-testid="regions"] button[data-region="3"]');
    await page.waitForSelector('[data-testid="providers"] tbody[data-region="3"]');
    expect(await page.locator('[data-testid="provider-name"]').allTextContents()).toEqual(
      expect.arrayContaining(['Cumulus Edge', 'Delta Metal']),
    );

    await page.click('[data-testid="regions"] button[data-region="1"]');
    await page.waitForSelector('[data-testid="providers"] tbody[data-region="1"]');
    await page.locator('[data-testid="provider-row"]', { hasText: 'Alpine Compute' }).click();
    await page.waitForSelector('[data-testid="job-row"]');
    expect(await page.locator('#details-title').textContent()).toBe('Alpine Compute');
    const jobs = await page.locator('[data-testid="job-row"]').allTextContents();
    expect(jobs).toHaveLength(2);
    expect(jobs[0]).toContain('#1');
    expect(jobs[0]).toContain('active');
    expect(jobs[0]).toContain('https://alpine-eu-west.gw.example/1');
    expect(jobs[1]).toContain('https://alpine-us-east.gw.example/4');

    mkdirSync(resultsDir, { recursive: true });
    const screenshot = join(resultsDir, 'marketplace-web.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe('PNG');
    expect(await page.locator('[data-testid="error"]').isHidden()).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a typed error when the RPC serves no Mu marketplace at the address', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/?rpc=${encodeURIComponent(anvil.url)}&marketplace=${market.token}`);
    await page.waitForSelector('[data-testid="error"]:not([hidden])', { timeout: 20_000 });
    expect(await page.locator('[data-testid="error"]').textContent()).toContain('MARKETPLACE_WRONG_CONTRACT');
    await page.close();
  });
});

// `npm run dev -w @mu/example-marketplace-web`: a local chain with a seeded market, and the page on Vite's dev
// server pointed at it. Ctrl-C stops both.

import { startAnvil } from '@mu/contracts/devnet';
import { seedMarket } from '@mu/marketplace/devnet';
import { createServer } from 'vite';

const anvil = await startAnvil({ port: Number(process.env.ANVIL_PORT ?? 8545) });
const [admin, p1, p2, p3, p4, p5, c1, c2] = anvil.wallets;
const market = await seedMarket({ admin: admin!, providers: [p1!, p2!, p3!, p4!, p5!], clients: [c1!, c2!] });
const server = await createServer({ root: new URL('..', import.meta.url).pathname, server: { host: '127.0.0.1' } });
await server.listen();
const base = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5173/';
console.log(`anvil ${anvil.url}, marketplace ${market.marketplace}`);
console.log(`open ${base}?rpc=${encodeURIComponent(anvil.url)}&marketplace=${market.marketplace}`);

const stop = async () => {
  await server.close();
  await anvil.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

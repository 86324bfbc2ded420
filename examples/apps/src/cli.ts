// `npm run build:apps -w @mu/example-apps`: builds the example apps and prints where they are.
import { buildApps } from './build.js';

const apps = await buildApps();
for (const app of Object.values(apps)) console.log(`${app.name}\t${app.size} bytes\tsha256 ${app.sha256}\t${app.path}`);

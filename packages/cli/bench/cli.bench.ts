// `npm run bench -w @mu/cli`: build time, dev rebuild time (file write → new code answering), request latency
// through mu dev (gateway → runtime → app → MuDB), and CLI start-up. Writes bench-results/cli.json at the root.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildApp, runCli, startDevServer } from '../src/index.js';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;
const round = (value: number) => Math.round(value * 100) / 100;

const root = mkdtempSync(join(tmpdir(), 'mu-cli-bench-'));
const quiet = { stdout: () => {}, stderr: () => {}, cwd: root };
await runCli(['new', 'app', '--template', 'kv'], quiet);
const app = join(root, 'app');
const entry = join(app, 'src/app.js');
const out = join(app, 'dist/app.wasm');

const buildMs: number[] = [];
for (let i = 0; i < 3; i++) buildMs.push((await buildApp({ projectDir: app, entry, out })).ms);

await runCli(['new', 'proxy', '--template', 'wasi-http'], quiet);
const proxy = join(root, 'proxy');
const httpBuildMs: number[] = [];
let httpSize = 0;
for (let i = 0; i < 3; i++) {
  const result = await buildApp({
    projectDir: proxy,
    entry: join(proxy, 'src/app.js'),
    out: join(proxy, 'dist/app.wasm'),
    world: 'wasi-http',
  });
  httpBuildMs.push(result.ms);
  httpSize = result.size;
}

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const processBuildMs: number[] = [];
for (let i = 0; i < 3; i++) {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--import', tsx, bin, 'build'], { cwd: app });
  if (result.status !== 0) throw new Error(String(result.stderr));
  processBuildMs.push(performance.now() - started);
}
const helpMs: number[] = [];
for (let i = 0; i < 5; i++) {
  const started = performance.now();
  spawnSync(process.execPath, ['--import', tsx, bin, '--help']);
  helpMs.push(performance.now() - started);
}

const dev = await startDevServer({
  projectDir: app,
  entry,
  out,
  jobId: 'app',
  port: 0,
  kv: { quotaBytes: 10_485_760 },
  log: () => {},
});
await fetch(`${dev.url}count`).then((response) => response.text());
const latency: number[] = [];
for (let i = 0; i < 300; i++) {
  const started = performance.now();
  await fetch(`${dev.url}count`).then((response) => response.text());
  latency.push(performance.now() - started);
}
const rebuildMs: number[] = [];
const original = readFileSync(entry, 'utf8');
for (let i = 0; i < 3; i++) {
  const marker = `version${i}`;
  const started = performance.now();
  writeFileSync(entry, original.replace('{ count: Number', `{ ${marker}: 1, count: Number`));
  for (;;) {
    const body = await fetch(`${dev.url}count`).then((response) => response.text());
    if (body.includes(marker)) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  rebuildMs.push(performance.now() - started);
}
await dev.close();
rmSync(root, { recursive: true, force: true });

const results = {
  machine: { cores: 2, node: process.version, note: 'shared with other engineers’ jobs' },
  buildMsMedian: round(median(buildMs)),
  buildMs: buildMs.map(round),
  processBuildMsMedian: round(median(processBuildMs)),
  wasiHttpBuildMsMedian: round(median(httpBuildMs)),
  wasiHttpBuildMs: httpBuildMs.map(round),
  wasiHttpSizeBytes: httpSize,
  devRebuildMsMedian: round(median(rebuildMs)),
  devRebuildMs: rebuildMs.map(round),
  devRequestP50Ms: round(percentile(latency, 0.5)),
  devRequestP99Ms: round(percentile(latency, 0.99)),
  helpMsMedian: round(median(helpMs)),
  loadAverage: (await import('node:os')).loadavg().map(round),
};
const resultsDir = fileURLToPath(new URL('../../../bench-results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'cli.json'), `${JSON.stringify(results, null, 2)}\n`);
console.table({
  'build (in-process, componentize-qjs), median of 3': `${results.buildMsMedian} ms`,
  '`mu build` as a process (tsx), median of 3': `${results.processBuildMsMedian} ms`,
  'wasi-http build (componentize-js, in-process), median of 3': `${results.wasiHttpBuildMsMedian} ms`,
  'mu dev: file write → new code answering, median of 3': `${results.devRebuildMsMedian} ms`,
  'mu dev: GET /count (kv increment), p50 / p99 of 300': `${results.devRequestP50Ms} / ${results.devRequestP99Ms} ms`,
  '`mu --help` (tsx), median of 5': `${results.helpMsMedian} ms`,
});
console.log(JSON.stringify(results));
process.exit(0);

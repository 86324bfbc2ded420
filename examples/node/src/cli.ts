// The reference executor's command: `node --import tsx src/cli.ts [--config node.json]` (or `--gateway` for a
// provider's standalone gateway). Prints one JSON line `{"ready":true,...}` on stdout when it serves; logs are
// JSON lines on stderr. SIGTERM / SIGINT: graceful stop. Bad configuration: exit code 2, naming the field.
import { loadConfig } from './config.js';
import { ConfigError } from './errors.js';
import { startExecutor } from './executor.js';
import { jsonLogger } from './logger.js';
import { loadProviderGatewayConfig, startProviderGateway } from './provider-gateway.js';

const args = process.argv.slice(2);
const configIndex = args.indexOf('--config');
const file = configIndex >= 0 ? args[configIndex + 1] : process.env.MU_CONFIG;

function fail(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`mu-node: ${error.shortMessage}\n`);
    process.exit(2);
  }
  process.stderr.write(`mu-node: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  if (error instanceof Error && error.cause) process.stderr.write(`cause: ${String(error.cause)}\n`);
  process.exit(1);
}

let stop: () => Promise<void>;
try {
  if (args.includes('--gateway')) {
    const front = await startProviderGateway(loadProviderGatewayConfig());
    process.stdout.write(`${JSON.stringify({ ready: true, role: 'gateway', url: front.url })}\n`);
    stop = front.stop;
  } else {
    const executor = await startExecutor(loadConfig(file === undefined ? {} : { file }), jsonLogger);
    process.stdout.write(
      `${JSON.stringify({ ready: true, role: 'node', url: executor.url, nodeUrl: executor.nodeUrl, node: executor.status().node })}\n`,
    );
    stop = executor.stop;
  }
} catch (error) {
  fail(error);
}

let stopping = false;
const onSignal = (signal: string) => {
  if (stopping) return;
  stopping = true;
  jsonLogger('info', `${signal}: draining`);
  stop().then(
    () => process.exit(0),
    (error: unknown) => fail(error),
  );
};
process.on('SIGTERM', () => onSignal('SIGTERM'));
process.on('SIGINT', () => onSignal('SIGINT'));

import { resolve } from 'node:path';
import { DEFAULT_APP_LIMITS } from '@mu/runtime';
import { type Command, stringOption } from '../command.js';
import { appName, loadProject, projectPaths } from '../config.js';
import { readComponent, startDevServer } from '../dev-server.js';
import { UsageError } from '../errors.js';
import { PROJECT_OPTIONS } from '../options.js';

/** `mu dev`. */
export const devCommand: Command = {
  name: 'dev',
  summary: 'Serve the app on 127.0.0.1 through @mu/gateway and @mu/runtime, rebuilt on change.',
  usage: 'mu dev [--port <n>] [--data <dir>] [--dir <dir>]',
  description:
    'Builds the app, runs it as a node does (gateway → runtime → app → MuDB) and logs one line per request:\n' +
    'method, path, status, time and what the request used (cpu, memory, kv reads/writes, bytes out).\n' +
    'MuDB is in memory unless --data names a LevelDB folder. Stop with Ctrl-C.',
  options: {
    ...PROJECT_OPTIONS,
    port: {
      type: 'string',
      short: 'p',
      value: '<n>',
      description: 'port on 127.0.0.1 (default 8787; 0 = any free port)',
    },
    host: { type: 'string', value: '<addr>', description: 'address to listen on (default 127.0.0.1)' },
    data: { type: 'string', value: '<dir>', description: 'keep MuDB in LevelDB (classic-level) in this folder' },
    component: {
      type: 'string',
      value: '<file>',
      description: 'serve this prebuilt component (e.g. a wasi:http app) instead of building; no rebuilds',
    },
    'no-watch': { type: 'boolean', description: 'do not rebuild on file changes' },
  },
  json: false,
  example: 'mu dev --port 8787 --data .mu/data',
  async run(input) {
    const project = loadProject(input);
    const portText = stringOption(input, 'port') ?? '8787';
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--port must be a whole number from 0 to 65535, got '${portText}'.`, 'dev');
    }
    const paths = projectPaths(project);
    const componentPath = stringOption(input, 'component');
    const dataDir = stringOption(input, 'data');
    const host = stringOption(input, 'host');
    const server = await startDevServer({
      projectDir: project.dir,
      entry: paths.entry,
      out: paths.out,
      jobId: appName(project),
      world: project.config.world ?? 'mu',
      env: project.config.env ?? {},
      limits: { ...DEFAULT_APP_LIMITS, ...project.config.limits },
      ...(project.config.kv ? { kv: project.config.kv } : {}),
      ...(componentPath ? { component: await readComponent(resolve(input.cwd, componentPath)) } : {}),
      ...(dataDir ? { dataDir: resolve(input.cwd, dataDir) } : {}),
      ...(host ? { host } : {}),
      port,
      watch: input.values['no-watch'] !== true,
      log: (line) => input.log(line),
    });
    input.log(
      `mu dev: serving ${appName(project)} at ${server.url} (MuDB ${dataDir ? `in ${resolve(input.cwd, dataDir)}` : 'in memory'}); Ctrl-C to stop`,
    );
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        server.close().then(done, done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};

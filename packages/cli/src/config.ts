import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CommandInput } from './command.js';
import { CliError, UsageError } from './errors.js';

/** The project file, `mu.json` (every field optional; keys never go here). */
export interface ProjectFile {
  /** The app's name: a DNS label (the job spec's `name`). */
  name?: string;
  /** The JavaScript entry (default `src/app.js`). */
  entry?: string;
  /** `mu` (default) or `wasi-http`. */
  world?: 'mu' | 'wasi-http';
  /** The built component (default `dist/app.wasm`). */
  out?: string;
  /** The app's environment (the job spec's `env`, read with `mu:app/config`). */
  env?: Record<string, string>;
  limits?: { memoryMb?: number; timeoutMs?: number; maxBodyBytes?: number };
  kv?: { quotaBytes: number };
  network?: { rpc?: string; marketplace?: string };
  deploy?: { provider?: string; region?: string; codeDir?: string; codeBaseUrl?: string };
}

/** A loaded project: its folder and its `mu.json` (empty when there is none). */
export interface Project {
  dir: string;
  /** The `mu.json` path, or undefined when the folder has none. */
  file: string | undefined;
  config: ProjectFile;
}

/**
 * Reads `mu.json` from a folder (the project folder; absent file = empty config).
 *
 * @throws {CliError} `CLI_CONFIG_INVALID` when the file is not valid JSON or a field has the wrong type.
 */
export function loadProject(input: CommandInput): Project {
  const dirOption = input.values.dir;
  const dir = resolve(input.cwd, typeof dirOption === 'string' ? dirOption : '.');
  const file = join(dir, 'mu.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { dir, file: undefined, config: {} };
    throw new CliError('CLI_CONFIG_INVALID', `Cannot read ${file}.`, { cause: error });
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new CliError('CLI_CONFIG_INVALID', `${file} is not valid JSON: ${(error as Error).message}. Fix the file.`, {
      cause: error,
    });
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new CliError('CLI_CONFIG_INVALID', `${file} must hold a JSON object. Fix the file.`);
  }
  const checks: [string, string][] = [
    ['name', 'string'],
    ['entry', 'string'],
    ['out', 'string'],
    ['world', 'string'],
    ['env', 'object'],
    ['limits', 'object'],
    ['kv', 'object'],
    ['network', 'object'],
    ['deploy', 'object'],
  ];
  for (const [field, type] of checks) {
    const value = (config as Record<string, unknown>)[field];
    if (value !== undefined && typeof value !== type) {
      throw new CliError('CLI_CONFIG_INVALID', `${file}: "${field}" must be a ${type}. Fix the file.`);
    }
  }
  const world = (config as ProjectFile).world;
  if (world !== undefined && world !== 'mu' && world !== 'wasi-http') {
    throw new CliError('CLI_CONFIG_INVALID', `${file}: "world" must be "mu" or "wasi-http". Fix the file.`);
  }
  if ((config as Record<string, unknown>).privateKey !== undefined) {
    throw new CliError(
      'CLI_CONFIG_INVALID',
      `${file} holds a "privateKey": keys never go in mu.json. Move it to a key file (--key-file) or MU_PRIVATE_KEY.`,
    );
  }
  return { dir, file, config: config as ProjectFile };
}

/** The app's name: `mu.json` name, else the folder name made into a DNS label. */
export function appName(project: Project): string {
  if (project.config.name) return project.config.name;
  const base = project.dir.split(/[\\/]/).filter(Boolean).pop() ?? 'app';
  const label = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return label || 'app';
}

/** Paths of a project's entry and output. */
export function projectPaths(project: Project): { entry: string; out: string } {
  return {
    entry: resolve(project.dir, project.config.entry ?? 'src/app.js'),
    out: resolve(project.dir, project.config.out ?? 'dist/app.wasm'),
  };
}

/** The network settings of a chain command, from flags, then environment, then `mu.json`. */
export function networkConfig(input: CommandInput, project: Project): { rpc: string; marketplace: string } {
  const rpc =
    (input.values.rpc as string | undefined) ?? input.env.MU_RPC_URL ?? project.config.network?.rpc ?? undefined;
  const marketplace =
    (input.values.marketplace as string | undefined) ??
    input.env.MU_MARKETPLACE ??
    project.config.network?.marketplace ??
    undefined;
  if (!rpc) {
    throw new CliError(
      'CLI_CONFIG_INVALID',
      'No JSON-RPC URL: pass --rpc <url>, set MU_RPC_URL, or set network.rpc in mu.json.',
    );
  }
  if (!marketplace) {
    throw new CliError(
      'CLI_CONFIG_INVALID',
      'No marketplace address: pass --marketplace <addr>, set MU_MARKETPLACE, or set network.marketplace in mu.json.',
    );
  }
  if (!/^0x[0-9a-fA-F]{40}$/.test(marketplace)) {
    throw new UsageError(`the marketplace address '${marketplace}' is not a 0x-prefixed 20-byte address.`);
  }
  return { rpc, marketplace };
}

const PRIVATE_KEY = /^0x[0-9a-fA-F]{64}$/;

/**
 * The account key: `--key-file`, else `MU_KEY_FILE`, else `MU_PRIVATE_KEY`. A key file holds the 0x-hex key on
 * one line, or JSON with a `privateKey` field (what `mu node keygen` writes). The key is never printed, not even
 * in errors.
 *
 * @throws {CliError} `CLI_KEY_MISSING` when none is configured, `CLI_KEY_INVALID` when it is malformed.
 */
export function loadPrivateKey(input: CommandInput, baseDir: string): string {
  const file = (input.values['key-file'] as string | undefined) ?? input.env.MU_KEY_FILE;
  let key: string;
  let source: string;
  if (file) {
    const path = resolve(baseDir, file);
    source = `the key file ${path}`;
    let text: string;
    try {
      text = readFileSync(path, 'utf8').trim();
    } catch (error) {
      throw new CliError('CLI_KEY_MISSING', `Cannot read ${source}: check the path given to --key-file/MU_KEY_FILE.`, {
        cause: (error as NodeJS.ErrnoException).code,
      });
    }
    if (text.startsWith('{')) {
      try {
        key = String((JSON.parse(text) as { privateKey?: unknown }).privateKey ?? '');
      } catch {
        key = '';
      }
    } else {
      key = text;
    }
  } else if (input.env.MU_PRIVATE_KEY) {
    key = input.env.MU_PRIVATE_KEY.trim();
    source = 'MU_PRIVATE_KEY';
  } else {
    throw new CliError(
      'CLI_KEY_MISSING',
      'No account key: pass --key-file <path> (a file holding the 0x… private key), or set MU_KEY_FILE or MU_PRIVATE_KEY.',
    );
  }
  if (!key.startsWith('0x')) key = `0x${key}`;
  if (!PRIVATE_KEY.test(key)) {
    throw new CliError(
      'CLI_KEY_INVALID',
      `The key in ${source} is not a 32-byte hex private key (0x + 64 hex digits).`,
    );
  }
  return key;
}

/** The `mu.json` location of a project-relative path, for messages. */
export function relativeTo(project: Project, path: string): string {
  return path.startsWith(`${project.dir}/`) ? path.slice(project.dir.length + 1) : path;
}

/** The folder of a file. */
export function folderOf(path: string): string {
  return dirname(path);
}

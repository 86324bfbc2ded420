import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type JobSpec, parseJobSpec } from '@mu/contract-client';
import { DEFAULT_APP_LIMITS } from '@mu/runtime';
import type { CommandInput, OptionSpec } from './command.js';
import { appName, type Project, projectPaths } from './config.js';
import { CliError, UsageError } from './errors.js';

/** Options that say where the provider fetches the code (deploy, job update). */
export const CODE_OPTIONS: Record<string, OptionSpec> = {
  component: {
    type: 'string',
    value: '<file>',
    description: 'the component to deploy (default: mu.json out, dist/app.wasm)',
  },
  'code-url': {
    type: 'string',
    value: '<url>',
    description: 'where the provider fetches the component (you uploaded it there)',
  },
  'code-dir': {
    type: 'string',
    value: '<dir>',
    description: 'copy the component here as <sha256>.wasm (a folder served over HTTP; env MU_CODE_DIR)',
  },
  'code-base-url': {
    type: 'string',
    value: '<url>',
    description: 'the URL of --code-dir (env MU_CODE_BASE_URL); the code URL is <url>/<sha256>.wasm',
  },
  'no-verify': { type: 'boolean', description: 'do not fetch the code URL back to check its sha256' },
};

/** A job spec ready to encrypt, and where its code went. */
export interface PreparedSpec {
  spec: JobSpec;
  componentPath: string;
  /** Set when the component was copied into a code folder. */
  copiedTo: string | undefined;
}

/**
 * Reads the built component, puts it where the provider fetches it (or takes the given URL), checks that URL
 * serves exactly these bytes, and writes the job spec from `mu.json` (name, env, limits, kv).
 *
 * @throws {CliError} `CLI_BUILD_OUTPUT_MISSING`, `CLI_CODE_UNAVAILABLE`, `CLI_CODE_MISMATCH`; `JOB_SPEC_INVALID`.
 */
export async function prepareSpec(input: CommandInput, project: Project, command: string): Promise<PreparedSpec> {
  const componentOption = input.values.component as string | undefined;
  const componentPath = componentOption ? resolve(input.cwd, componentOption) : projectPaths(project).out;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(componentPath));
  } catch (error) {
    throw new CliError(
      'CLI_BUILD_OUTPUT_MISSING',
      `Cannot read the component ${componentPath}: run \`mu build\` first (or pass --component <file>).`,
      { cause: error },
    );
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const codeUrl = input.values['code-url'] as string | undefined;
  const codeDir =
    (input.values['code-dir'] as string | undefined) ?? input.env.MU_CODE_DIR ?? project.config.deploy?.codeDir;
  const codeBase =
    (input.values['code-base-url'] as string | undefined) ??
    input.env.MU_CODE_BASE_URL ??
    project.config.deploy?.codeBaseUrl;
  let url: string;
  let copiedTo: string | undefined;
  if (codeUrl) {
    url = codeUrl;
  } else if (codeDir && codeBase) {
    const folder = resolve(input.cwd, codeDir);
    await mkdir(folder, { recursive: true });
    copiedTo = join(folder, `${sha256}.wasm`);
    await copyFile(componentPath, copiedTo);
    url = `${codeBase.replace(/\/+$/, '')}/${sha256}.wasm`;
  } else {
    throw new UsageError(
      'say where the provider fetches the code: --code-url <url> (uploaded by you), or --code-dir <dir> with --code-base-url <url> (a folder served over HTTP).',
      command,
    );
  }
  if (input.values['no-verify'] !== true && /^https?:/.test(url)) {
    let served: Uint8Array;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      served = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw new CliError(
        'CLI_CODE_UNAVAILABLE',
        `The code URL ${url} cannot be fetched (${(error as Error).message}): upload ${componentPath} there first, or pass --no-verify.`,
        { cause: error },
      );
    }
    const servedHash = createHash('sha256').update(served).digest('hex');
    if (servedHash !== sha256) {
      throw new CliError(
        'CLI_CODE_MISMATCH',
        `${url} serves other bytes than ${componentPath} (sha256 ${servedHash.slice(0, 12)}… ≠ ${sha256.slice(0, 12)}…): upload the current build there.`,
      );
    }
  }
  const spec = parseJobSpec({
    version: 1,
    name: appName(project),
    code: { sha256, url, size: bytes.length },
    env: project.config.env ?? {},
    limits: { ...DEFAULT_APP_LIMITS, ...project.config.limits },
    ...(project.config.kv ? { kv: project.config.kv } : {}),
  });
  return { spec, componentPath, copiedTo };
}

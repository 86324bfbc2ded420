import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { waitUntil } from '@mu/test-kit';

/**
 * Tests run `mu` from its TypeScript sources through tsx (no build step): `node --import tsx src/bin.ts`.
 * Sibling packages resolve through node_modules to their built `dist`, as they do for the published CLI.
 */
const require = createRequire(import.meta.url);
const tsxLoader = pathToFileURL(require.resolve('tsx')).href;
export const binPath = fileURLToPath(new URL('../../src/bin.ts', import.meta.url));

/** What a finished `mu` run printed and its exit code. */
export interface MuResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a test run: no MU_* from the machine, so a test sees only what it sets. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('MU_')) env[name] = value;
  return { ...env, ...extra };
}

/** Starts `mu <args>` as a child process (the caller stops it by PID). */
export function spawnMu(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): ChildProcess {
  return spawn(process.execPath, ['--import', tsxLoader, binPath, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `mu <args>` to completion. */
export function runMu(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<MuResult> {
  return new Promise((resolve, reject) => {
    const child = spawnMu(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      process.kill(child.pid!, 'SIGKILL');
      reject(new Error(`mu ${args.join(' ')} did not finish in time:\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `mu <args> --json`, expects exit 0 and returns the parsed output. */
export async function runMuJson<T = Record<string, unknown>>(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<T> {
  const result = await runMu([...args, '--json'], options);
  if (result.code !== 0) throw new Error(`mu ${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/**
 * Waits until what a running `mu` wrote so far (`output()`) matches `pattern`, and returns the match; fails at once
 * when the process exits first, and after `timeoutMs` with the output in the message.
 */
export async function waitForOutput(
  child: ChildProcess,
  output: () => string,
  pattern: RegExp,
  timeoutMs = 60_000,
): Promise<RegExpExecArray> {
  try {
    await waitUntil(() => pattern.test(output()) || child.exitCode !== null, `${pattern} in the output of mu`, {
      timeoutMs,
      intervalMs: 50,
    });
  } catch (error) {
    throw new Error(`no ${pattern} in:\n${output()}`, { cause: error });
  }
  const match = pattern.exec(output());
  if (!match) throw new Error(`mu exited ${child.exitCode}:\n${output()}`);
  return match;
}

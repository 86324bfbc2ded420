import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { muWitPath } from '@mu/runtime';
import { init as initLexer, parse as parseModule } from 'es-module-lexer';
import { CliError } from './errors.js';

/** What {@link buildApp} needs. */
export interface BuildAppOptions {
  /** The project folder (imports resolve inside it; its `wit/` is used when present). */
  projectDir: string;
  /** The JavaScript entry. */
  entry: string;
  /** Where the component is written. */
  out: string;
  /** `mu` (default): componentize-qjs; `wasi-http`: componentize-js (StarlingMonkey), the wasi:http/proxy world. */
  world?: 'mu' | 'wasi-http';
  /** Called every `intervalMs` while the compiler runs, with the elapsed milliseconds. */
  onProgress?: (elapsedMs: number) => void;
  progressIntervalMs?: number;
}

/** A built component. */
export interface BuildResult {
  out: string;
  bytes: Uint8Array;
  size: number;
  sha256: string;
  /** Wall time of the whole build. */
  ms: number;
  /** The WIT folder the app was built against. */
  witPath: string;
}

function location(source: string, index: number): { line: number; column: number } {
  const before = source.slice(0, Math.max(0, index));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

function sourceLine(source: string, line: number, column: number): string {
  const text = source.split('\n')[line - 1] ?? '';
  return `  ${line} | ${text}\n  ${' '.repeat(String(line).length)} | ${' '.repeat(Math.max(0, column - 1))}^`;
}

/**
 * Checks a Mu-world entry before the (slow) compiler: the module exports `handle`. A module the lexer cannot
 * parse is left to the compiler, whose message has the exact position; the lexer's error is returned for when
 * the compiler accepts it anyway.
 *
 * @throws {CliError} `CLI_BUILD_MISSING_EXPORT`.
 */
export async function checkEntry(entry: string, source: string, projectDir: string): Promise<CliError | undefined> {
  await initLexer;
  const shown = relative(projectDir, entry) || entry;
  let exports: readonly { n: string }[];
  try {
    [, exports] = parseModule(source, shown);
  } catch (error) {
    const index = (error as { idx?: number }).idx ?? 0;
    const { line, column } = location(source, index);
    return new CliError(
      'CLI_BUILD_SYNTAX',
      `Syntax error in ${shown}:${line}:${column}. Fix the code and build again.`,
      {
        details: sourceLine(source, line, column),
        cause: error,
      },
    );
  }
  if (!exports.some((item) => item.n === 'handle')) {
    throw new CliError(
      'CLI_BUILD_MISSING_EXPORT',
      `${shown} does not export \`handle\`: a Mu app must export \`function handle(request)\` returning { status, headers, body }.`,
      { details: `exports found: ${exports.map((item) => item.n).join(', ') || 'none'}` },
    );
  }
  return undefined;
}

/**
 * Builds a Mu-world JavaScript app into a WebAssembly component with componentize-qjs (QuickJS, synchronous
 * ABI, the WASI base kept for the runtime), writes it atomically to `out` and returns its size and sha256.
 *
 * @throws {CliError} `CLI_BUILD_SYNTAX`, `CLI_BUILD_MISSING_EXPORT`, `CLI_BUILD_FAILED` (the compiler's message kept as cause).
 * @example
 * ```ts
 * const { sha256, size } = await buildApp({ projectDir: '.', entry: 'src/app.js', out: 'dist/app.wasm' });
 * ```
 */
export async function buildApp(options: BuildAppOptions): Promise<BuildResult> {
  if (options.world === 'wasi-http') return buildHttpApp(options);
  const started = performance.now();
  let source: string;
  try {
    source = await readFile(options.entry, 'utf8');
  } catch (error) {
    throw new CliError(
      'CLI_PROJECT_NOT_FOUND',
      `Cannot read the entry ${options.entry}: run \`mu new <dir>\` to create a project, or set "entry" in mu.json.`,
      { cause: error },
    );
  }
  const lexerError = await checkEntry(options.entry, source, options.projectDir);
  const projectWit = join(options.projectDir, 'wit');
  const witPath = existsSync(join(projectWit, 'mu.wit')) ? projectWit : muWitPath;
  const { componentize } = await import('componentize-qjs');
  const timer =
    options.onProgress &&
    setInterval(() => options.onProgress?.(performance.now() - started), options.progressIntervalMs ?? 1000);
  let component: Uint8Array;
  try {
    const result = await componentize({
      witPath,
      world: 'app',
      jsSource: source,
      jsPath: options.entry,
      moduleRoot: options.projectDir,
      sync: true,
      // The runtime provides the WASI base QuickJS imports; stubbing would also stub wasi:keyvalue.
      stubWasi: false,
    });
    component = new Uint8Array(result.component);
  } catch (error) {
    const message = String((error as Error)?.message ?? error).trim();
    const shown = relative(options.projectDir, options.entry) || options.entry;
    // QuickJS "declares" (parses) the module before evaluating it: a declare failure is a syntax error.
    const at = /at \S*?:(\d+):(\d+)\s*$/m.exec(message);
    if (/Failed to declare JavaScript module|SyntaxError/.test(message) && at) {
      const line = Number(at[1]);
      const column = Number(at[2]);
      const reason = /Error:\s*([^\n]*)/.exec(message)?.[1] ?? 'invalid syntax';
      throw new CliError(
        'CLI_BUILD_SYNTAX',
        `Syntax error in ${shown}:${line}:${column}: ${reason}. Fix the code and build again.`,
        { details: sourceLine(source, line, column), cause: error },
      );
    }
    throw new CliError(
      'CLI_BUILD_FAILED',
      `componentize-qjs could not build ${shown}: ${message.split('\n')[0]}. Check the imports against the Mu world (wit/mu.wit).`,
      { details: message, cause: error },
    );
  } finally {
    if (timer) clearInterval(timer);
  }
  if (lexerError) throw lexerError;
  return writeOutput(options.out, component, started, witPath);
}

async function writeOutput(out: string, component: Uint8Array, started: number, witPath: string): Promise<BuildResult> {
  await mkdir(dirname(out), { recursive: true });
  const staging = `${out}.${randomUUID()}.tmp`;
  await writeFile(staging, component);
  await rename(staging, out);
  return {
    out,
    bytes: component,
    size: component.length,
    sha256: createHash('sha256').update(component).digest('hex'),
    ms: performance.now() - started,
    witPath,
  };
}

/**
 * The wasi:http/proxy WIT this package ships (`wit-http/`): StarlingMonkey is built for WASI 0.2.10 while jco ships
 * 0.2.12, so it is jco's 0.2.12 WIT renamed to 0.2.10 with jco's own 0.2.10 io/clocks/sockets (as @mu/runtime's
 * tests build it), plus a `proxy-kv` world that adds wasi:keyvalue (MuDB).
 */
export const wasiHttpWitPath: string = fileURLToPath(new URL('../wit-http/', import.meta.url));

async function buildHttpApp(options: BuildAppOptions): Promise<BuildResult> {
  const started = performance.now();
  const shown = relative(options.projectDir, options.entry) || options.entry;
  let source: string;
  try {
    source = await readFile(options.entry, 'utf8');
  } catch (error) {
    throw new CliError(
      'CLI_PROJECT_NOT_FOUND',
      `Cannot read the entry ${options.entry}: run \`mu new <dir> --template wasi-http\`, or set "entry" in mu.json.`,
      { cause: error },
    );
  }
  await initLexer;
  let exports: readonly { n: string }[] = [];
  try {
    [, exports] = parseModule(source, shown);
  } catch {
    // Left to StarlingMonkey, which reports the position.
  }
  if (!/addEventListener\(\s*['"]fetch['"]/.test(source) && !exports.some((item) => item.n === 'incomingHandler')) {
    throw new CliError(
      'CLI_BUILD_MISSING_EXPORT',
      `${shown} neither listens to \`fetch\` events nor exports \`incomingHandler\`: a wasi:http app does \`addEventListener('fetch', (event) => event.respondWith(…))\`.`,
    );
  }
  const projectWit = join(options.projectDir, 'wit');
  const witPath = existsSync(join(projectWit, 'package.wit')) ? projectWit : wasiHttpWitPath;
  // MuDB through wasi:keyvalue needs the world that imports it; plain apps get the standard proxy world.
  const worldName = /['"]wasi:keyvalue\//.test(source) ? 'proxy-kv' : 'proxy';
  const { componentize } = await import('@bytecodealliance/componentize-js');
  const timer =
    options.onProgress &&
    setInterval(() => options.onProgress?.(performance.now() - started), options.progressIntervalMs ?? 1000);
  let component: Uint8Array;
  try {
    const result = await componentize({ sourcePath: options.entry, witPath, worldName });
    component = new Uint8Array(result.component);
  } catch (error) {
    const message = String((error as Error)?.message ?? error).trim();
    if (/failed to parse JS source/.test(message)) {
      // componentize-js does not say where; Node's own parser does.
      const check = spawnSync(process.execPath, ['--input-type=module', '--check'], {
        input: source,
        encoding: 'utf8',
      });
      const lines = check.stderr.split('\n');
      const line = Number(/^\[stdin\]:(\d+)/.exec(lines[0] ?? '')?.[1] ?? 1);
      const column = Math.max(1, (lines[2] ?? '').indexOf('^') + 1);
      const reason = /SyntaxError: ([^\n]*)/.exec(check.stderr)?.[1] ?? 'invalid syntax';
      throw new CliError(
        'CLI_BUILD_SYNTAX',
        `Syntax error in ${shown}:${line}:${column}: ${reason}. Fix the code and build again.`,
        { details: sourceLine(source, line, column), cause: error },
      );
    }
    const at = new RegExp(`${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`).exec(message);
    if (/SyntaxError/.test(message)) {
      const line = Number(at?.[1] ?? 1);
      const column = Number(at?.[2] ?? 1);
      throw new CliError(
        'CLI_BUILD_SYNTAX',
        `Syntax error in ${shown}${at ? `:${line}:${column}` : ''}: ${/SyntaxError:?\s*([^\n]*)/.exec(message)?.[1] ?? ''}. Fix the code and build again.`,
        { ...(at ? { details: sourceLine(source, line, column) } : {}), cause: error },
      );
    }
    throw new CliError(
      'CLI_BUILD_FAILED',
      `componentize-js (StarlingMonkey) could not build ${shown}: ${message.split('\n')[0]}.`,
      { details: message, cause: error },
    );
  } finally {
    if (timer) clearInterval(timer);
  }
  return writeOutput(options.out, component, started, witPath);
}

/** sha256 (hex) of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

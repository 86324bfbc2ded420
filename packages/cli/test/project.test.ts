import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/index.js';
import { runMu, runMuJson } from './helpers/cli.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mu-cli-project-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('help and usage', () => {
  it('prints every command with --help and exits 0', async () => {
    const result = await runMu(['--help'], { cwd: root });
    expect(result.code).toBe(0);
    for (const command of COMMANDS) expect(result.stdout).toContain(command.name);
  });

  it('gives every command a --help with usage and an example', async () => {
    for (const command of COMMANDS) {
      const result = await runMu([...command.name.split(' '), '--help'], { cwd: root });
      expect(result.code, command.name).toBe(0);
      expect(result.stdout).toContain(`Usage: mu ${command.name}`);
      expect(result.stdout).toContain('Example:');
    }
  });

  it('exits 2 on no command, an unknown command, an unknown option or a missing argument', async () => {
    expect((await runMu([], { cwd: root })).code).toBe(2);
    const unknown = await runMu(['deploi'], { cwd: root });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'deploi'");
    const option = await runMu(['build', '--bogus'], { cwd: root });
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/CLI_USAGE: Unknown option '--bogus'[\s\S]*mu build --help/);
    const missing = await runMu(['job', 'status'], { cwd: root });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing <id>');
    const template = await runMu(['new', 'x', '--template', 'nope'], { cwd: root });
    expect(template.code).toBe(2);
    expect(template.stderr).toContain("unknown template 'nope'");
  });
});

describe('mu new and mu build', () => {
  it('creates an http app with the Mu WIT and builds it, printing size and sha256 of the output', async () => {
    const created = await runMuJson<{ files: string[]; name: string }>(['new', 'hello-app'], { cwd: root });
    expect(created.name).toBe('hello-app');
    expect(created.files).toEqual(expect.arrayContaining(['mu.json', 'src/app.js', 'wit/mu.wit']));
    const dir = join(root, 'hello-app');
    expect(await readFile(join(dir, 'wit/mu.wit'), 'utf8')).toContain('package mu:app@0.1.0');

    const build = await runMu(['build'], { cwd: dir });
    expect(build.code, build.stderr).toBe(0);
    expect(build.stderr).toContain('building src/app.js with componentize-qjs');
    const bytes = await readFile(join(dir, 'dist/app.wasm'));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(build.stdout).toContain(`sha256: ${sha256}`);
    expect(build.stdout).toContain(`(${bytes.length} bytes)`);
  });

  it('builds the kv template with --json output', async () => {
    await runMuJson(['new', 'counter', '--template', 'kv'], { cwd: root });
    const result = await runMuJson<{ size: number; sha256: string; out: string }>(['build'], {
      cwd: join(root, 'counter'),
    });
    const bytes = await readFile(result.out);
    expect(result.size).toBe(bytes.length);
    expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('refuses to create a project in a folder that is not empty', async () => {
    await runMuJson(['new', 'taken'], { cwd: root });
    const again = await runMu(['new', 'taken'], { cwd: root });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('CLI_PROJECT_EXISTS');
  });

  it('reports a syntax error with file, line and column, and exits 1', async () => {
    await runMuJson(['new', 'broken'], { cwd: root });
    const dir = join(root, 'broken');
    await writeFile(
      join(dir, 'src/app.js'),
      'export function handle(request) {\n  const x = ;\n  return { status: 200, headers: [], body: new Uint8Array(0) };\n}\n',
    );
    const result = await runMu(['build'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CLI_BUILD_SYNTAX: Syntax error in src/app.js:2:13');
    expect(result.stderr).toContain('const x = ;');
  });

  it('reports an unclosed block as a syntax error', async () => {
    const dir = join(root, 'broken');
    await writeFile(join(dir, 'src/app.js'), 'export function handle(request) {\n  return { status: 200 };\n');
    const result = await runMu(['build', '--json'], { cwd: dir });
    expect(result.code).toBe(1);
    // Progress stays on stderr; the error is its last line, as JSON.
    const last = result.stderr.trim().split('\n').at(-1)!;
    expect(JSON.parse(last).error).toMatchObject({
      code: 'CLI_BUILD_SYNTAX',
      message: expect.stringContaining('src/app.js:3:'),
    });
  });

  it('reports a missing handle export before compiling', async () => {
    const dir = join(root, 'broken');
    await writeFile(join(dir, 'src/app.js'), 'export function handler(request) { return request; }\n');
    const result = await runMu(['build'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CLI_BUILD_MISSING_EXPORT');
    expect(result.stderr).toContain('exports found: handler');
  });

  it('says what to do when there is no project', async () => {
    const result = await runMu(['build'], { cwd: root });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('run `mu new <dir>`');
  });

  it('refuses an invalid mu.json and a private key in it', async () => {
    const dir = join(root, 'hello-app');
    const original = await readFile(join(dir, 'mu.json'), 'utf8');
    await writeFile(join(dir, 'mu.json'), '{ "name": ');
    const invalid = await runMu(['build'], { cwd: dir });
    expect(invalid.stderr).toContain('CLI_CONFIG_INVALID');
    await writeFile(join(dir, 'mu.json'), JSON.stringify({ ...JSON.parse(original), privateKey: '0x01' }));
    const key = await runMu(['build'], { cwd: dir });
    expect(key.code).toBe(1);
    expect(key.stderr).toContain('keys never go in mu.json');
    await writeFile(join(dir, 'mu.json'), original);
  });

  it('writes a node key file readable only by its owner and prints only the address', async () => {
    const result = await runMuJson<{ address: string; file: string }>(['node', 'keygen', '--out', 'node.key.json'], {
      cwd: root,
    });
    const saved = JSON.parse(await readFile(join(root, 'node.key.json'), 'utf8')) as { privateKey: string };
    expect(result.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(JSON.stringify(result)).not.toContain(saved.privateKey.slice(2));
    const { statSync } = await import('node:fs');
    expect(statSync(join(root, 'node.key.json')).mode & 0o777).toBe(0o600);
    const again = await runMu(['node', 'keygen', '--out', 'node.key.json'], { cwd: root });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('CLI_FILE_EXISTS');
  });
});

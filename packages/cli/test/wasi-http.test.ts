import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMu, runMuJson, spawnMu, waitForOutput } from './helpers/cli.js';

let root: string;
let app: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mu-cli-wasi-http-'));
  await runMuJson(['new', 'proxy', '--template', 'wasi-http'], { cwd: root });
  app = join(root, 'proxy');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the wasi:http/proxy world (StarlingMonkey)', () => {
  it('builds a fetch-event app with componentize-js and serves it with mu dev', async () => {
    const built = await runMuJson<{ world: string; size: number; sha256: string; out: string }>(['build'], {
      cwd: app,
    });
    expect(built.world).toBe('wasi-http');
    const bytes = await readFile(built.out);
    expect(built.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));

    const child = spawnMu(['dev', '--port', '0', '--no-watch'], { cwd: app });
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stdout!.resume();
    try {
      const serving = /serving proxy at (http:\/\/127\.0\.0\.1:\d+\/)/;
      const url = (await waitForOutput(child, () => output, serving, 90_000))[1]!;
      const response = await fetch(`${url}hello?x=1`, { method: 'POST', body: 'four' });
      expect(await response.text()).toBe('hello from wasi:http: POST /hello 4');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid!, 'SIGTERM');
      await exited;
    }
  });

  it('reports a syntax error with its line and column', async () => {
    await writeFile(join(app, 'src/app.js'), "addEventListener('fetch', (event) => {\n  const x = ;\n});\n");
    const result = await runMu(['build'], { cwd: app });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("CLI_BUILD_SYNTAX: Syntax error in src/app.js:2:13: Unexpected token ';'");
  });

  it('says when the app neither listens to fetch events nor exports incomingHandler', async () => {
    await writeFile(join(app, 'src/app.js'), 'export const answer = 42;\n');
    const result = await runMu(['build'], { cwd: app });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CLI_BUILD_MISSING_EXPORT');
    expect(result.stderr).toContain("addEventListener('fetch'");
  });
});

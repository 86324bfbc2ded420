import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { muWitPath } from '@mu/runtime';
import { buildApp, wasiHttpWitPath } from '../build-app.js';
import { type Command, stringOption } from '../command.js';
import { appName, loadProject, projectPaths, relativeTo } from '../config.js';
import { CliError, UsageError } from '../errors.js';
import { PROJECT_OPTIONS } from '../options.js';
import { fields, formatBytes, printResult } from '../output.js';
import { TEMPLATES, type TemplateName, templateFiles } from '../templates.js';

/** `mu new <dir> [--template http|kv]`. */
export const newCommand: Command = {
  name: 'new',
  summary: 'Create a JavaScript Mu app with the WIT it targets, ready to build.',
  usage: 'mu new <dir> [--template http|kv|wasi-http] [--name <name>]',
  options: {
    template: {
      type: 'string',
      short: 't',
      value: '<name>',
      description: 'http (default), kv (MuDB): the Mu world; wasi-http: the standard wasi:http/proxy world',
    },
    name: { type: 'string', value: '<name>', description: 'the app name, a DNS label (default: from <dir>)' },
  },
  positionals: { min: 1, max: 1, names: '<dir> (the folder to create)' },
  json: true,
  example: 'mu new hello && cd hello && mu build',
  async run(input) {
    const template = (stringOption(input, 'template') ?? 'http') as TemplateName;
    if (!TEMPLATES.includes(template)) {
      throw new UsageError(`unknown template '${template}': use one of ${TEMPLATES.join(', ')}.`, 'new');
    }
    const dir = resolve(input.cwd, input.positionals[0]!);
    const name =
      stringOption(input, 'name') ?? appName({ dir: join(dirname(dir), basename(dir)), file: undefined, config: {} });
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
      throw new UsageError(`the name '${name}' is not a DNS label (a-z, 0-9, '-', at most 63).`, 'new');
    }
    let existing: string[] = [];
    try {
      existing = await readdir(dir);
    } catch {}
    if (existing.length > 0) {
      throw new CliError('CLI_PROJECT_EXISTS', `${dir} exists and is not empty: choose a new folder.`);
    }
    const files = templateFiles(template, name);
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    await cp(template === 'wasi-http' ? wasiHttpWitPath : muWitPath, join(dir, 'wit'), { recursive: true });
    const witFiles = template === 'wasi-http' ? ['wit/package.wit'] : ['wit/mu.wit', 'wit/deps/keyvalue/keyvalue.wit'];
    const created = [...Object.keys(files), ...witFiles].sort();
    printResult(input, { dir, name, template, files: created }, () =>
      [
        `Created ${name} (template ${template}) in ${dir}:`,
        ...created.map((file) => `  ${file}`),
        '',
        'Next:',
        `  cd ${input.positionals[0]}`,
        '  mu build',
        '  mu dev',
      ].join('\n'),
    );
  },
};

/** `mu build`. */
export const buildCommand: Command = {
  name: 'build',
  summary: 'Build the app into a WebAssembly component (componentize-qjs; componentize-js for wasi-http).',
  usage: 'mu build [--dir <dir>] [--out <file>]',
  description:
    'Reads mu.json (entry, out, world). Checks that the entry parses and exports `handle`, compiles it with\n' +
    "componentize-qjs against wit/ (or @mu/runtime's Mu world), writes the component and prints its size and sha256.\n" +
    'The wasi:http/proxy world (StarlingMonkey) is not built by this version: see the README.',
  options: {
    ...PROJECT_OPTIONS,
    out: { type: 'string', short: 'o', value: '<file>', description: 'where to write the component (mu.json out)' },
    world: { type: 'string', value: '<mu|wasi-http>', description: 'the world (mu.json world; default mu)' },
  },
  json: true,
  example: 'mu build --out dist/app.wasm',
  async run(input) {
    const project = loadProject(input);
    const world = stringOption(input, 'world') ?? project.config.world ?? 'mu';
    if (world !== 'mu' && world !== 'wasi-http') {
      throw new UsageError(`unknown world '${world}': use mu or wasi-http.`, 'build');
    }
    const paths = projectPaths(project);
    const outOption = stringOption(input, 'out');
    const out = outOption ? resolve(input.cwd, outOption) : paths.out;
    const compiler = world === 'mu' ? 'componentize-qjs (QuickJS)' : 'componentize-js (StarlingMonkey)';
    input.log(`mu: building ${relativeTo(project, paths.entry)} with ${compiler}…`);
    const result = await buildApp({
      world,
      projectDir: project.dir,
      entry: paths.entry,
      out,
      onProgress: (ms) => input.log(`mu: still compiling… ${(ms / 1000).toFixed(1)} s`),
    });
    printResult(
      input,
      { out: result.out, size: result.size, sha256: result.sha256, ms: Math.round(result.ms), world },
      () =>
        fields([
          ['built', relativeTo(project, result.out)],
          ['size', `${formatBytes(result.size)} (${result.size} bytes)`],
          ['sha256', result.sha256],
          ['time', `${(result.ms / 1000).toFixed(2)} s`],
        ]),
    );
  },
};

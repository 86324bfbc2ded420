export { type BuildAppOptions, type BuildResult, buildApp, checkEntry, wasiHttpWitPath } from './build-app.js';
export type { Command, CommandInput, OptionSpec } from './command.js';
export { type DevServer, type DevServerOptions, startDevServer } from './dev-server.js';
export { CliError, type CliErrorCode, type CliErrorOptions, UsageError } from './errors.js';
export { COMMANDS, type RunCliOptions, runCli } from './main.js';
export { TEMPLATES, type TemplateName, templateFiles } from './templates.js';

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { CliError } from './errors.js';

/**
 * Writes a key file as JSON, readable only by its owner (mode 0600).
 *
 * @throws {CliError} `CLI_FILE_EXISTS` when the file exists and `force` is false.
 */
export async function writeSecretFile(path: string, value: unknown, force: boolean): Promise<void> {
  if (!force && existsSync(path)) {
    throw new CliError('CLI_FILE_EXISTS', `${path} exists: choose another --out, or pass --force to replace it.`);
  }
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

import { resolve } from 'node:path';
import { generateNodeKey } from '@mu/contract-client';
import { type Command, stringOption } from '../command.js';
import { fields, printResult } from '../output.js';
import { writeSecretFile } from '../secret-file.js';

const nodeKeygen: Command = {
  name: 'node keygen',
  summary: 'Make a node signing key: written to a file (mode 0600), only the address is printed.',
  usage: 'mu node keygen [--out <file>] [--force]',
  options: {
    out: {
      type: 'string',
      short: 'o',
      value: '<file>',
      description: 'where to write the key (default mu-node-key.json)',
    },
    force: { type: 'boolean', description: 'replace an existing file' },
  },
  json: true,
  example: 'mu node keygen --out node-1.key.json && mu provider certify-node --node <printed address> --region eu-west',
  async run(input) {
    const path = resolve(input.cwd, stringOption(input, 'out') ?? 'mu-node-key.json');
    const key = generateNodeKey();
    await writeSecretFile(path, { address: key.address, privateKey: key.privateKey }, input.values.force === true);
    printResult(input, { address: key.address, file: path }, () =>
      fields([
        ['address', key.address],
        ['key file', `${path} (keep it secret; the node signs usage reports with it)`],
      ]),
    );
  },
};

/** A node operator's commands (`mu node keygen`), in help order. */
export const nodeCommands: readonly Command[] = [nodeKeygen];

import type { OptionSpec } from './command.js';

// The options several commands share, each declared once; `config.ts` reads them (flags, then environment, then
// `mu.json`).

/** The `--dir` option shared by project commands (the folder of `mu.json`). */
export const PROJECT_OPTIONS: Record<string, OptionSpec> = {
  dir: { type: 'string', value: '<dir>', description: 'the project folder (default: the current folder)' },
};

/** The chain options shared by every chain command. */
export const CHAIN_OPTIONS: Record<string, OptionSpec> = {
  rpc: { type: 'string', value: '<url>', description: 'JSON-RPC URL (env MU_RPC_URL, mu.json network.rpc)' },
  marketplace: {
    type: 'string',
    value: '<addr>',
    description: 'Mu marketplace address (env MU_MARKETPLACE, mu.json network.marketplace)',
  },
  'key-file': {
    type: 'string',
    value: '<path>',
    description: 'file holding the account private key (env MU_KEY_FILE; or the key in MU_PRIVATE_KEY)',
  },
};

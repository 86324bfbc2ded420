import { fileURLToPath } from 'node:url';
import { muProject, workspaceAliases } from '../../vitest.shared.ts';

const config = muProject('marketplace-web');
// The shared aliases map main entries to their source; the page test also seeds with `@mu/marketplace/devnet`.
config.resolve = {
  alias: [
    {
      find: /^@mu\/marketplace\/devnet$/,
      replacement: fileURLToPath(new URL('../../packages/marketplace/src/devnet.ts', import.meta.url)),
    },
    ...workspaceAliases,
  ],
};

export default config;

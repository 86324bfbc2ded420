import { muProject } from '../../vitest.shared.ts';

export default muProject('local-network', { testTimeout: 240_000, hookTimeout: 240_000 });

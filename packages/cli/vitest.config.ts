import { muProject } from '../../vitest.shared.ts';

// Every test runs `mu` as a child process; chain tests share one anvil per file.
export default muProject('cli', { testTimeout: 120_000 });

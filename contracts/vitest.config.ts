import { muProject } from '../vitest.shared.ts';

export default muProject('contracts', { globalSetup: ['test/global-setup.ts'] });

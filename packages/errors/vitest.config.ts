import { muProject } from '../../vitest.shared.ts';

export default muProject('errors');

// The contracts' own tests start their chain the way every other package does.
export { type Devnet as Chain, startAnvil } from '../../src/devnet.js';

export { type Anvil, startAnvil } from './anvil.js';
export {
  escrowOf,
  LOCAL_PRICES,
  type Network,
  type NetworkJob,
  type NetworkOptions,
  startNetwork,
  waitFor,
} from './network.js';
export { freePort, type ManagedProcess, repositoryRoot, sourceFlags, startProcess } from './processes.js';

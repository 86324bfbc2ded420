// The CLI's chain tests start their chain the way every package does: @mu/contracts' devnet.
export { type Devnet as Anvil, startAnvil } from '@mu/contracts/devnet';

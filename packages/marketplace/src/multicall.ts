import { Interface } from 'ethers';

/** The canonical Multicall3 address (the same on most EVM chains). */
export const MULTICALL3_ADDRESS = '0xcA11bde05977b3631167028862bE2a173976CA11';

let sharedInterface: Interface | undefined;
/** @internal The two Multicall3 functions this package uses. */
export function multicallInterface(): Interface {
  sharedInterface ??= new Interface([
    'function aggregate3((address target, bool allowFailure, bytes callData)[] calls) payable returns ((bool success, bytes returnData)[] returnData)',
    'function getCurrentBlockTimestamp() view returns (uint256 timestamp)',
  ]);
  return sharedInterface;
}

/** @internal Encodes reads as one `aggregate3` call that never reverts as a whole (`allowFailure`). */
export function encodeAggregate3(calls: readonly { to: string; data: string }[]): string {
  return multicallInterface().encodeFunctionData('aggregate3', [
    calls.map((call) => ({ target: call.to, allowFailure: true, callData: call.data })),
  ]);
}

/** @internal Decodes the answer of {@link encodeAggregate3}. */
export function decodeAggregate3(data: string): { success: boolean; returnData: string }[] {
  const [results] = multicallInterface().decodeFunctionResult('aggregate3', data);
  return (results as unknown as [boolean, string][]).map(([success, returnData]) => ({ success, returnData }));
}

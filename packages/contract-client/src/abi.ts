import { Interface, type InterfaceAbi, type ParamType } from 'ethers';

/** @internal Merges ABIs into one Interface for decoding, keeping each error/event signature once. */
export function mergeAbis(...abis: readonly InterfaceAbi[]): Interface {
  const seen = new Set<string>();
  const fragments: unknown[] = [];
  for (const abi of abis) {
    for (const fragment of new Interface(abi).fragments) {
      if (fragment.type !== 'error' && fragment.type !== 'event' && fragment.type !== 'function') continue;
      const key = `${fragment.type}:${fragment.format('sighash')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      fragments.push(JSON.parse(fragment.format('json')));
    }
  }
  return new Interface(fragments as InterfaceAbi);
}

/** @internal The revert data somewhere in an ethers / EIP-1193 error, if any. */
export function findRevertData(error: unknown, depth = 0): string | undefined {
  if (depth > 6 || typeof error !== 'object' || error === null) return undefined;
  const record = error as Record<string, unknown>;
  const data = record.data;
  if (typeof data === 'string' && /^0x([0-9a-fA-F]{8})/.test(data)) return data;
  if (typeof data === 'object' && data !== null) {
    const nested = findRevertData(data, depth + 1);
    if (nested) return nested;
  }
  for (const key of ['error', 'info', 'cause', 'payload']) {
    const nested = findRevertData(record[key], depth + 1);
    if (nested) return nested;
  }
  return undefined;
}

/**
 * @internal A decoded ABI value as plain data: tuples become objects by component name, arrays arrays,
 * integers of at most 32 bits numbers (ids, basis points, counts), wider integers bigints.
 */
export function plainValue(param: ParamType, value: unknown): unknown {
  if (/^u?int(8|16|24|32)$/.test(param.type)) return Number(value);
  if (param.isArray()) {
    return Array.from(value as ArrayLike<unknown>, (item) => plainValue(param.arrayChildren, item));
  }
  if (param.isTuple()) {
    const items = value as ArrayLike<unknown>;
    return Object.fromEntries(
      param.components.map((child, index) => [child.name || String(index), plainValue(child, items[index])]),
    );
  }
  return value;
}

/** @internal Named arguments of a decoded error or event. */
export function namedArgs(description: {
  args: ArrayLike<unknown>;
  fragment: { inputs: readonly ParamType[] };
}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  description.fragment.inputs.forEach((input, index) => {
    out[input.name || String(index)] = plainValue(input, description.args[index]);
  });
  return out;
}

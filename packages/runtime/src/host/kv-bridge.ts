import { isMuError } from '@mu/errors';
import type { Bucket, Namespace } from '@mu/mudb';
import type { HostCall, HostReply } from '../threads/messages.js';

function message(error: unknown): string {
  // A brand, not `instanceof`: the store may come from another loaded copy of @mu/mudb (a `RemoteBackend` from
  // `@mu/mudb/server`'s build while this module loaded the main entry from source).
  if (isMuError(error)) return `${error.code}: ${error.shortMessage}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

async function run(bucket: Bucket, call: HostCall): Promise<unknown> {
  const args = call.args;
  switch (call.op) {
    case 'get':
      return bucket.get(args[0] as string);
    case 'set':
      return bucket.set(args[0] as string, args[1] as Uint8Array);
    case 'delete':
      return bucket.delete(args[0] as string);
    case 'exists':
      return bucket.exists(args[0] as string);
    case 'list-keys': {
      const cursor = args[0] as string | undefined;
      const page = await bucket.listKeys(cursor === undefined ? {} : { cursor });
      return { keys: page.keys, cursor: page.cursor };
    }
    case 'increment':
      return bucket.increment(args[0] as string, args[1] as bigint);
    case 'compare-and-swap':
      return bucket.compareAndSwap(
        args[0] as string,
        args[1] as Uint8Array | undefined,
        args[2] as Uint8Array | undefined,
      );
    case 'get-many':
      return bucket.getMany(args[0] as string[]);
    case 'set-many':
      return bucket.setMany(args[0] as [string, Uint8Array][]);
    case 'delete-many':
      return bucket.deleteMany(args[0] as string[]);
    default:
      throw new TypeError(`unknown KV operation ${String((call as { op: unknown }).op)}`);
  }
}

/**
 * Runs one guest KV call in the job's namespace and returns the reply to post back. Never throws: every
 * MuDB failure becomes a wasi:keyvalue `error::other` with the MuDB code in its text.
 */
export async function runKeyValueCall(namespace: Namespace | undefined, call: HostCall): Promise<HostReply> {
  if (namespace === undefined) return { ok: false, message: 'no request is running on this worker' };
  try {
    const value = await run(namespace.bucket(call.bucket), call);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, message: message(error) };
  }
}

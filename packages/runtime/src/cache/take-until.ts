import type { CacheEntryInfo } from './types.js';

/** The first resident ids of `ids` whose sizes add up to at least `needBytes`. */
export function takeUntil(
  ids: Iterable<string>,
  needBytes: number,
  resident: ReadonlyMap<string, CacheEntryInfo>,
): string[] {
  const victims: string[] = [];
  let freed = 0;
  for (const id of ids) {
    if (freed >= needBytes) break;
    const info = resident.get(id);
    if (info === undefined) continue;
    victims.push(id);
    freed += info.sizeBytes;
  }
  return victims;
}

import type { Cluster, Redis } from 'ioredis';

export interface StoredEntry {
  rendering: string;
  /** Writes the entry back with a new payload or rendering (the header's length follows), keeping its TTL. */
  rewrite(parts: { payload?: string; rendering?: string }): Promise<unknown>;
}

/**
 * A cache entry as `cache-set.lua` stores it (one string: a header line ending in the payload's
 * byte length, the payload, then the rendering), taken apart so a test can rewrite one part.
 */
export async function storedEntry(redis: Redis | Cluster, key: string): Promise<StoredEntry> {
  const raw = await redis.getBuffer(key);
  if (!raw) throw new Error(`no cache entry at ${key}`);
  const headerEnd = raw.indexOf(10);
  const header = raw.toString('latin1', 0, headerEnd).split('|');
  const payloadEnd = headerEnd + 1 + Number(header[4]);
  const payload = raw.subarray(headerEnd + 1, payloadEnd);
  const rendering = raw.toString('utf8', payloadEnd);
  return {
    rendering,
    rewrite: (parts) => {
      const newPayload = parts.payload === undefined ? payload : Buffer.from(parts.payload);
      const newHeader = [...header.slice(0, 4), String(newPayload.length)].join('|');
      return redis.set(key, Buffer.concat([Buffer.from(`${newHeader}\n`, 'latin1'), newPayload, Buffer.from(parts.rendering ?? rendering)]), 'KEEPTTL');
    },
  };
}

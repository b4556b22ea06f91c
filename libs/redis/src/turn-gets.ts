import Redis, { Command } from 'ioredis';
import type { RedisClient } from './redis-connection.factory';
import { sendWritesNow } from './redis-connection.factory';
import { forOneServer } from './slot-guard';

interface Waiter {
  resolve(value: Buffer | null): void;
  reject(error: Error): void;
}

/** Keys per MGET: a reply of about 65 KB for cache entries of 650 bytes. */
export const TURN_GETS_MAX_KEYS = 100;

/**
 * GETs (as Buffers) issued during one turn of the event loop leave as one MGET at the turn's end,
 * each caller getting its own value; a key asked for twice in a turn is read once. Concurrent
 * requests' cache reads otherwise cost one ioredis command each (its object, promise, deadline and
 * reply), most of what a read costs the client (`npm run bench:redis-client`). They left in one
 * write at the turn's end before too (`coalesceWrites`), so no read waits longer than it did.
 *
 * A key holding another type reads as null, as MGET answers. A failed MGET fails every read of
 * its batch, as the GETs of one write fail together. On a Cluster each read stays a GET: a turn's
 * keys lie in different slots, which one MGET cannot span.
 */
export class TurnGets {
  private batch = new Map<string, Waiter[]>();
  /** The client when it is one server (standalone or Sentinel); undefined for a Cluster. */
  private readonly server: Redis | undefined;

  constructor(
    private readonly client: RedisClient,
    private readonly maxKeys = TURN_GETS_MAX_KEYS,
  ) {
    this.server = client instanceof Redis ? client : undefined;
  }

  getBuffer(key: string): Promise<Buffer | null> {
    if (!this.server) return this.client.getBuffer(key);
    return new Promise((resolve, reject) => {
      if (this.batch.size === 0) setImmediate(this.send);
      const waiters = this.batch.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.batch.set(key, [{ resolve, reject }]);
    });
  }

  private readonly send = (): void => {
    const client = this.server!;
    const batch = this.batch;
    this.batch = new Map();
    const keys = [...batch.keys()];
    for (let from = 0; from < keys.length; from += this.maxKeys) {
      const chunk = keys.slice(from, from + this.maxKeys);
      const settle = (values: Array<Buffer | null>) => {
        for (let i = 0; i < chunk.length; i++) for (const waiter of batch.get(chunk[i])!) waiter.resolve(values[i]);
      };
      const fail = (error: Error) => {
        for (const key of chunk) for (const waiter of batch.get(key)!) waiter.reject(error);
      };
      // MGET answers nil for a key of another type where GET fails with WRONGTYPE: one key alone reads the same way.
      if (chunk.length === 1) client.getBuffer(chunk[0]).then((value) => settle([value]), (error: Error) => (error.message.startsWith('WRONGTYPE') ? settle([null]) : fail(error)));
      else {
        const mget = forOneServer(new Command('mget', chunk, { replyEncoding: null, keyPrefix: client.options.keyPrefix }));
        void client.sendCommand(mget);
        (mget.promise as Promise<Array<Buffer | null>>).then(settle, fail);
      }
    }
    // This runs at the turn's end (the check phase), where a coalesced write would wait for the next turn's.
    sendWritesNow(client);
  };
}

import type { RedisClient } from './redis-connection.factory';

export interface LuaScript {
  /** The command name ioredis registers on the client. */
  name: string;
  numberOfKeys: number;
  lua: string;
}

/**
 * Registers scripts once per connection (ioredis `defineCommand`): they run by EVALSHA and are
 * sent in full only after a NOSCRIPT (a restarted or failed-over Redis).
 */
export function defineLuaScripts(client: RedisClient, scripts: LuaScript[]): void {
  for (const script of scripts) {
    if (typeof (client as unknown as Record<string, unknown>)[script.name] === 'function') continue;
    client.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  }
}

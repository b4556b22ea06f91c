import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisClient } from './redis-connection.factory';

export interface LuaScript {
  /** The command name ioredis registers on the client. */
  name: string;
  numberOfKeys: number;
  lua: string;
}

/**
 * Reads a `.lua` file that sits beside the code using it. In the webpack bundle every module's
 * `__dirname` is the bundle's folder, where the build copies scripts to `lua/<lib>/<file>`.
 */
export function readLuaScript(dirname: string, lib: string, file: string): string {
  for (const candidate of [join(dirname, file), join(dirname, 'lua', lib, file)]) {
    if (existsSync(candidate)) return readFileSync(candidate, 'utf8');
  }
  throw new Error(`Lua script ${lib}/${file} not found beside ${dirname}`);
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

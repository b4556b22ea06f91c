import Redis from 'ioredis';
import type { Command } from 'ioredis';
import calculateSlot from 'cluster-key-slot';

export class CrossSlotError extends Error {}

const ONE_SERVER = Symbol('stockroom.oneServer');

/**
 * Marks a command that is only ever sent to a standalone Redis, never through a Cluster: its keys
 * may lie in different slots (a turn's MGET, `TurnGets`), so the guard below lets it through.
 */
export function forOneServer<C extends Command>(command: C): C {
  (command as C & { [ONE_SERVER]?: true })[ONE_SERVER] = true;
  return command;
}

/**
 * For tests on a single Redis: refuses any command whose keys fall in more than one cluster hash
 * slot, as a Redis Cluster would (CROSSSLOT), so a missing hash tag fails on a laptop instead of
 * in production. Turned on by REDIS_ASSERT_SLOTS.
 */
export function refuseCrossSlotCommands(client: Redis): void {
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: Command, stream?: Parameters<Redis['sendCommand']>[1]) => {
    const keys = command.getKeys();
    if (keys.length > 1 && !(command as Command & { [ONE_SERVER]?: true })[ONE_SERVER]) {
      const slots = new Set(keys.map((key) => calculateSlot(key)));
      if (slots.size > 1) {
        command.reject(new CrossSlotError(`CROSSSLOT ${command.name} ${keys.map(String).join(' ')}: keys in ${slots.size} hash slots`));
        return command.promise;
      }
    }
    return send(command, stream);
  }) as Redis['sendCommand'];
}

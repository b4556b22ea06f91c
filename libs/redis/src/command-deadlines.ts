import type Redis from 'ioredis';

const DEADLINE = Symbol('stockroom.commandDeadline');

/** What this needs of an ioredis `Command`: how to fail it, and where its deadline is kept. */
interface PendingCommand {
  reject(error: Error): void;
  /** performance.now() time; Infinity once failed here (its late reply may still come). */
  [DEADLINE]?: number;
}

/** ioredis' queues (denque): commands written and not answered yet, and commands waiting for a connection. */
interface CommandQueue {
  readonly length: number;
  peekAt(index: number): { command: PendingCommand } | undefined;
}

/**
 * Fails every command sent on `client` that has no reply `timeoutMs` after it was first sent, as
 * ioredis' `commandTimeout` does (same error; never earlier, at most `slackMs` later), with one
 * timer per connection instead of one per command. ioredis arms a timer for each command, clears
 * it at the reply and `delete`s it from the command, which turns each command into a slow
 * dictionary object: about a sixth of what a GET costs the client on Node 26 (`npm run
 * bench:redis-client`). Here a command only gets its deadline as a property, and the timer looks
 * at ioredis' own queues: the unanswered commands are there in the order they were sent, so it
 * stops at the first one not yet due and waits for it. Nothing is held here: an answered or
 * refused command has left ioredis' queue.
 */
export class CommandDeadlines {
  private timer: NodeJS.Timeout | undefined;
  /**
   * The shortest wait between two looks: each look passes the failed commands still waiting for
   * their replies (a paused Redis), so commands due one after another are failed together, at most
   * this late (25 ms, or a tenth of a short deadline).
   */
  private readonly slackMs: number;

  private constructor(
    private readonly client: Redis,
    timeoutMs: number,
  ) {
    this.slackMs = Math.max(Math.min(timeoutMs / 10, 25), 1);
  }

  static enforce(client: Redis, timeoutMs: number): void {
    const deadlines = new CommandDeadlines(client, timeoutMs);
    const send = client.sendCommand;
    client.sendCommand = function (this: Redis, command: Parameters<Redis['sendCommand']>[0], stream?: Parameters<Redis['sendCommand']>[1]) {
      const pending = command as unknown as PendingCommand;
      // A command sent again (after a reconnect, or to another node of a cluster) keeps its first deadline.
      pending[DEADLINE] ??= performance.now() + timeoutMs;
      const reply = send.call(this, command, stream);
      if (!deadlines.timer) deadlines.arm(timeoutMs);
      return reply;
    } as Redis['sendCommand'];
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.expire(), ms);
    // A connection's own sockets keep the process alive while it is open; this must not.
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    const queues = this.client as unknown as { commandQueue: CommandQueue; offlineQueue: CommandQueue };
    const next = Math.min(this.failDue(queues.commandQueue, now), this.failDue(queues.offlineQueue, now));
    if (next !== Infinity) this.arm(Math.max(next - now, this.slackMs));
  }

  /** Fails the queue's commands that are due, oldest first; the first deadline still to come (Infinity: none). */
  private failDue(queue: CommandQueue, now: number): number {
    for (let i = 0; i < queue.length; i++) {
      const command = queue.peekAt(i)!.command;
      const deadline = command[DEADLINE];
      // Already failed here, or sent before the deadlines were enforced.
      if (deadline === undefined || deadline === Infinity) continue;
      if (deadline > now) return deadline;
      command[DEADLINE] = Infinity;
      command.reject(new Error('Command timed out'));
    }
    return Infinity;
  }
}

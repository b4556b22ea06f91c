import type Redis from 'ioredis';

/** What this needs of an ioredis `Command`: whether its reply came, and how to fail it. */
interface PendingCommand {
  isResolved: boolean;
  reject(error: Error): void;
}

/**
 * Fails every command sent on `client` that has no reply `timeoutMs` after it was sent, as
 * ioredis' `commandTimeout` does (same error, same moment), with one timer per connection instead
 * of one per command. ioredis arms a timer for each command, clears it at the reply and `delete`s
 * it from the command, which turns each command into a slow dictionary object: about 1 µs of
 * client CPU per GET on Node 26, a fifth of what the GET costs the client (`npm run
 * bench:redis-client`). Here each command is noted with its deadline in send order; replies come
 * in that order too, so answered commands leave from the front as new ones are sent, and the one
 * timer waits for the oldest unanswered command's deadline.
 */
export class CommandDeadlines {
  private commands: Array<PendingCommand | undefined> = [];
  private deadlines: number[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  private constructor(private readonly timeoutMs: number) {}

  static enforce(client: Redis, timeoutMs: number): CommandDeadlines {
    const deadlines = new CommandDeadlines(timeoutMs);
    const send = client.sendCommand;
    client.sendCommand = function (this: Redis, command: Parameters<Redis['sendCommand']>[0], stream?: Parameters<Redis['sendCommand']>[1]) {
      const reply = send.call(this, command, stream);
      deadlines.note(command as unknown as PendingCommand);
      return reply;
    } as Redis['sendCommand'];
    return deadlines;
  }

  /** Commands noted and not yet let go: those in flight, and at most a few answered ones. */
  get tracked(): number {
    return this.commands.length - this.head;
  }

  private note(command: PendingCommand): void {
    // An already answered or failed command (a closed connection fails it at once) needs no deadline.
    if (command.isResolved) return;
    this.dropAnswered();
    this.commands.push(command);
    this.deadlines.push(performance.now() + this.timeoutMs);
    if (!this.timer) this.arm(this.timeoutMs);
  }

  private dropAnswered(): void {
    const { commands } = this;
    while (this.head < commands.length && commands[this.head]!.isResolved) commands[this.head++] = undefined;
    if (this.head === commands.length) {
      this.commands = [];
      this.deadlines = [];
      this.head = 0;
    } else if (this.head > 1_024 && this.head * 2 > commands.length) {
      this.commands = commands.slice(this.head);
      this.deadlines = this.deadlines.slice(this.head);
      this.head = 0;
    }
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.expire(), ms);
    // A connection's own sockets keep the process alive while it is open; this must not.
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    const { commands, deadlines } = this;
    while (this.head < commands.length && (commands[this.head]!.isResolved || deadlines[this.head] <= now)) {
      const command = commands[this.head]!;
      commands[this.head++] = undefined;
      // Failing a command already failed (a dropped connection) does nothing: its promise has settled.
      if (!command.isResolved) command.reject(new Error('Command timed out'));
    }
    this.dropAnswered();
    if (this.tracked > 0) this.arm(Math.max(this.deadlines[this.head] - now, 1));
  }
}

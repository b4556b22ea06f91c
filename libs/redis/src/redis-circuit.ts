import { Logger } from '@nestjs/common';
import type { RedisClient } from './redis-connection.factory';

/**
 * The circuit breaker in front of every Redis call a request waits for (cache, sessions,
 * throttler, rankings), one per process. Each such call runs on a connection with a command
 * deadline; a call that fails or misses it opens the circuit: for `retryMs` every caller takes
 * its fallback at once (MySQL, fail-open, 503) instead of waiting the deadline again, and no
 * command is queued behind a Redis that does not answer. Then a single call probes; its success
 * closes the circuit. An outage is logged once when it starts and once when it ends.
 *
 * A hung Redis (SIGSTOP, a full network buffer) keeps its TCP connection `ready`, so the
 * connection state alone cannot tell; the deadline can.
 */
export class RedisCircuit {
  private openUntil = 0;
  private down = false;
  private probing = false;
  private readonly listeners: Array<(up: boolean) => void> = [];
  private readonly logger = new Logger('Redis');

  constructor(private readonly retryMs: number) {}

  get isDown(): boolean {
    return this.down;
  }

  /** Called with `false` when an outage starts and `true` when it ends. */
  onChange(listener: (up: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** A connection that comes back (after a reconnect) closes the circuit. */
  watch(client: RedisClient): void {
    client.on('ready', () => this.recovered());
  }

  /** Whether a call on `client` would be sent now (no probe is taken). */
  usable(client: RedisClient): boolean {
    return connected(client) && !this.down && Date.now() >= this.openUntil;
  }

  /**
   * Runs `call`, or `fallback()` when the circuit is open, the connection is away, or the call fails.
   * A `.then` chain, not an async function: it is on every throttled request, and on Node 20 each
   * promise an `await` adds also runs the async hooks that AsyncLocalStorage turns on.
   */
  run<T>(client: RedisClient, call: () => Promise<T>, fallback: () => T): Promise<T> {
    if (!connected(client)) return promiseOf(fallback);
    const probe = this.down;
    if (Date.now() < this.openUntil || (probe && this.probing)) return promiseOf(fallback);
    if (probe) this.probing = true;
    return promiseOf(call).then(
      (result) => {
        if (probe) this.probing = false;
        if (this.down) this.recovered();
        return result;
      },
      (error: unknown) => {
        if (probe) this.probing = false;
        this.failed(error as Error);
        return fallback();
      },
    );
  }

  failed(error: Error): void {
    this.openUntil = Date.now() + this.retryMs;
    if (this.down) return;
    this.down = true;
    this.logger.warn(`redis unavailable, requests take their fallbacks: ${error.message}`);
    for (const listener of this.listeners) listener(false);
  }

  private recovered(): void {
    if (!this.down) return;
    this.down = false;
    this.openUntil = 0;
    this.logger.log('redis available again');
    for (const listener of this.listeners) listener(true);
  }
}

/** `work()` as a promise, rejected if it throws (as an async function's would be). */
function promiseOf<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/** While (re)connecting after a failure, skip Redis; a first connect may queue briefly. */
function connected(client: RedisClient): boolean {
  return client.status !== 'reconnecting' && client.status !== 'end' && client.status !== 'close';
}

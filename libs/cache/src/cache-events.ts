import { Logger } from '@nestjs/common';
import { subscribeWhenReady } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';

export type CacheEvent =
  | { type: 'evict'; key: string }
  | { type: 'generation'; name: string; value: number };

interface Envelope {
  origin: string;
  sentAt: number;
  events: CacheEvent[];
}

/**
 * Carries L1 evictions and generation bumps to every instance over Redis pub/sub. While it
 * listens, what it has delivered is as current as the channel (its owner may trust generations it
 * learned); a subscriber that loses its connection may miss messages, so it tells its owner to
 * forget everything, and again once it listens anew.
 */
export class CacheEventBus {
  private readonly logger = new Logger('CacheEventBus');
  /** Milliseconds from publish to receipt of the last foreign message (same-host clocks). */
  lastDelayMs: number | undefined;
  private started = false;
  private subscribed = false;

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly channel: string,
    private readonly origin: string,
    private readonly handlers: { onEvents: (events: CacheEvent[]) => void; onResubscribed: () => void },
  ) {
    subscriber.on('close', () => {
      if (!this.subscribed) return;
      this.subscribed = false;
      handlers.onResubscribed();
    });
    // After a reconnect: subscribe again, then forget what may have been missed meanwhile.
    subscriber.on('ready', () => {
      if (this.started) void this.listen().catch(() => undefined);
    });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        const envelope = JSON.parse(message) as Envelope;
        if (envelope.origin === this.origin) return;
        this.lastDelayMs = Date.now() - envelope.sentAt;
        handlers.onEvents(envelope.events);
      } catch (error) {
        this.logger.warn(`ignored a malformed cache event: ${(error as Error).message}`);
      }
    });
  }

  /** True while subscribed: every event published since has been (or is being) delivered. */
  get listening(): boolean {
    return this.subscribed;
  }

  /** Subscribes; a failure is retried every second until it succeeds (L1 is not used meanwhile). */
  async start(): Promise<void> {
    this.started = true;
    try {
      await this.listen();
    } catch (error) {
      const retry = setInterval(() => {
        if (this.subscribed) return clearInterval(retry);
        this.listen().then(() => clearInterval(retry), () => undefined);
      }, 1_000);
      retry.unref();
      throw error;
    }
  }

  private async listen(): Promise<void> {
    await subscribeWhenReady(this.subscriber, this.channel);
    this.subscribed = true;
    this.handlers.onResubscribed();
  }

  async publish(events: CacheEvent[]): Promise<void> {
    const envelope: Envelope = { origin: this.origin, sentAt: Date.now(), events };
    await this.publisher.publish(this.channel, JSON.stringify(envelope));
  }
}

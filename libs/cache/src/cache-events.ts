import { Logger } from '@nestjs/common';
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
 * Carries L1 evictions and generation bumps to every instance over Redis pub/sub. A subscriber
 * that (re)connects may have missed messages, so it tells its owner to drop all of L1.
 */
export class CacheEventBus {
  private readonly logger = new Logger('CacheEventBus');
  /** Milliseconds from publish to receipt of the last foreign message (same-host clocks). */
  lastDelayMs: number | undefined;

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly channel: string,
    private readonly origin: string,
    handlers: { onEvents: (events: CacheEvent[]) => void; onResubscribed: () => void },
  ) {
    subscriber.on('ready', () => handlers.onResubscribed());
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

  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
  }

  async publish(events: CacheEvent[]): Promise<void> {
    const envelope: Envelope = { origin: this.origin, sentAt: Date.now(), events };
    await this.publisher.publish(this.channel, JSON.stringify(envelope));
  }
}

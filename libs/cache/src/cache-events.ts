import { Logger } from '@nestjs/common';
import { defineLuaScripts, subscribeWhenReady } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import { CACHE_EVENT_PUBLISH_LUA } from './cache-event-publish.lua';

export type CacheEvent =
  | { type: 'evict'; key: string }
  | { type: 'generation'; name: string; value: number };

interface Envelope {
  /** The event's number, given by Redis as it is published (absent from an older build's events). */
  seq?: number;
  origin: string;
  sentAt: number;
  events: CacheEvent[];
}

/**
 * The numbers of the events one subscriber has received. Every event is numbered and published by
 * one script on the node that holds the counter, so a subscriber receives them in that order; one
 * that arrives out of turn, or a number the counter reached that never arrives, means an event was
 * missed (a Cluster subscriber moved to another node by ioredis, without a word to its owner).
 */
export class EventSequence {
  private last: number | undefined;
  /**
   * The counter as first read since listening began (or since a gap): the events up to it may have
   * been published before this subscriber listened, or still be on their way; every later one must arrive.
   */
  private floor: number | undefined;
  /** The counter as the previous check read it: every event up to it has had since then to arrive. */
  private expected: number | undefined;
  /** Bumped by `forget()`, so that a read sent before it is not checked against what is awaited after. */
  private epoch = 0;

  /** An event's number: false when an event before it was missed (or the counter started again). */
  received(seq: number): boolean {
    const { last, floor } = this;
    const intact = last === undefined ? floor === undefined || seq <= floor + 1 : seq === last + 1;
    this.last = seq;
    return intact;
  }

  /** To be taken as a read of the counter is sent, and given back to `checked` with its reply. */
  readSent(): CounterRead {
    return { arrivedBefore: this.last, epoch: this.epoch };
  }

  /**
   * The counter as read by a GET: false when an event the previous check knew of (and that was
   * published after listening began) never arrived, or when the counter went back (below an event
   * that had arrived before the read was sent, or below the previous read). Events up to the counter
   * may still be on their way: the subscriber's connection is not the one that reads, and its events
   * can come after the reply. After a gap, the counter is the new floor.
   */
  checked(counter: number, read: CounterRead): boolean {
    if (read.epoch !== this.epoch) return true;
    const { last, floor, expected } = this;
    const wentBack = counter < Math.max(read.arrivedBefore ?? 0, expected ?? 0);
    const awaitedArrived = expected === undefined || (last === undefined ? floor !== undefined && expected <= floor : last >= expected);
    const intact = !wentBack && awaitedArrived;
    if (!intact) {
      this.last = undefined;
      this.floor = counter;
    } else if (floor === undefined) this.floor = counter;
    this.expected = counter;
    return intact;
  }

  forget(): void {
    this.last = undefined;
    this.floor = undefined;
    this.expected = undefined;
    this.epoch++;
  }
}

/** What `EventSequence.checked` needs to know of the moment a read of the counter was sent. */
export interface CounterRead {
  arrivedBefore: number | undefined;
  epoch: number;
}

type PublishCommands = RedisClient & { cacheEventPublish(sequenceKey: string, channel: string, envelope: string): Promise<number> };

/**
 * Carries L1 evictions and generation bumps to every instance over Redis pub/sub. While it
 * listens, what it has delivered is as current as the channel (its owner may trust generations it
 * learned); whenever messages may have been missed it tells its owner to forget everything: when
 * the subscriber loses its connection, once it listens anew, and when the events' numbers show a
 * gap (an event out of turn, or one the counter has reached and that has not arrived by the next
 * check, every `checkEveryMs`).
 */
export class CacheEventBus {
  private readonly logger = new Logger('CacheEventBus');
  /** Milliseconds from publish to receipt of the last foreign message (same-host clocks). */
  lastDelayMs: number | undefined;
  private started = false;
  private subscribed = false;
  private readonly sequence = new EventSequence();
  private readonly publisher: PublishCommands;
  private checks?: NodeJS.Timeout;
  private checking = false;
  /** The SUBSCRIBE under way, if any: the first 'ready' comes while start()'s own one waits for it. */
  private subscribing?: Promise<void>;

  constructor(
    publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly channel: string,
    /** The events' counter; its slot's node publishes every event (see EventSequence). */
    private readonly sequenceKey: string,
    private readonly origin: string,
    private readonly handlers: { onEvents: (events: CacheEvent[]) => void; onMissedEvents: () => void },
    private readonly checkEveryMs = 1_000,
  ) {
    this.publisher = publisher as PublishCommands;
    defineLuaScripts(publisher, [{ name: 'cacheEventPublish', numberOfKeys: 1, lua: CACHE_EVENT_PUBLISH_LUA }]);
    subscriber.on('close', () => {
      if (!this.subscribed) return;
      this.subscribed = false;
      this.sequence.forget();
      handlers.onMissedEvents();
    });
    // After a reconnect: subscribe again, then forget what may have been missed meanwhile. A
    // SUBSCRIBE still under way is that one (ioredis resends it), unless it failed.
    subscriber.on('ready', () => {
      if (!this.started) return;
      const underWay = this.subscribing?.catch(() => (this.subscribed ? undefined : this.listen()));
      void (underWay ?? this.listen()).catch(() => undefined);
    });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        const envelope = JSON.parse(message) as Envelope;
        if (typeof envelope.seq === 'number' && !this.sequence.received(envelope.seq)) this.missed(`event ${envelope.seq} came out of turn`);
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
    this.checks ??= setInterval(() => this.check(), this.checkEveryMs).unref();
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

  stop(): void {
    clearInterval(this.checks);
    this.checks = undefined;
  }

  private listen(): Promise<void> {
    this.subscribing ??= subscribeWhenReady(this.subscriber, this.channel)
      .then(() => {
        this.subscribed = true;
        this.sequence.forget();
        this.handlers.onMissedEvents();
      })
      .finally(() => (this.subscribing = undefined));
    return this.subscribing;
  }

  /** Reads the counter (one GET, never two at once): an event it had reached at the previous check must have arrived by now. */
  private check(): void {
    if (!this.subscribed || this.checking) return;
    this.checking = true;
    const read = this.sequence.readSent();
    this.publisher
      .get(this.sequenceKey)
      .then((counter) => {
        if (this.subscribed && !this.sequence.checked(Number(counter ?? 0), read)) this.missed('an event never arrived');
      })
      // Redis unreachable: the circuit and the subscriber's own close handle that.
      .catch(() => undefined)
      .finally(() => (this.checking = false));
  }

  private missed(why: string): void {
    this.logger.warn(`cache events missed (${why}): L1 and the generations learned are dropped`);
    this.handlers.onMissedEvents();
  }

  async publish(events: CacheEvent[]): Promise<void> {
    const envelope: Envelope = { origin: this.origin, sentAt: Date.now(), events };
    await this.publisher.cacheEventPublish(this.sequenceKey, this.channel, JSON.stringify(envelope));
  }
}

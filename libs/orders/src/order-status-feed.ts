import { Injectable, Logger } from '@nestjs/common';
import { withDeadline } from '@stockroom/core';
import { InjectRequestRedis, RedisConnections, RedisKeys, subscribeWhenReady } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import type { OrderStatus } from './order.entity';

/** How long a new follower waits for the subscription before it is answered from MySQL alone. */
const SUBSCRIBE_WAIT_MS = 1_000;

export interface OrderStatusChange {
  id: number;
  status: OrderStatus;
  failureReason: string | null;
}

interface Follower {
  onChange(change: OrderStatusChange): void;
  /** Messages may have been missed (the subscription was lost): read the order again. */
  onGap(): void;
}

/**
 * Order status changes, from whichever process made them (the worker, the sweep in any process),
 * to the API instances whose clients follow the order: one Redis pub/sub channel, one subscriber
 * connection per process, opened when the first client follows. Pub/sub may drop a message while
 * a connection is down, so followers are told to read the order again after every reconnect; the
 * order in MySQL stays the truth.
 */
@Injectable()
export class OrderStatusFeed {
  private readonly logger = new Logger('OrderStatusFeed');
  private readonly channel: string;
  private readonly followers = new Map<number, Set<Follower>>();
  private subscriber?: RedisClient;
  private subscribed?: Promise<void>;

  constructor(
    @InjectRequestRedis() private readonly redis: RedisClient,
    private readonly connections: RedisConnections,
    keys: RedisKeys,
  ) {
    this.channel = keys.key('orders', 'status');
  }

  /** After the commit that made the change; a failure costs followers up to their recheck interval, never the change. */
  async announce(change: OrderStatusChange): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify(change)).catch((error: Error) => {
      this.logger.warn(`order ${change.id}: status change not announced (${error.message}); followers see it at their next recheck`);
    });
  }

  /**
   * Calls the follower on every change of the order; returns what stops it. Resolves once
   * subscribed, or after SUBSCRIBE_WAIT_MS without an answer (a Redis that hangs): the follower's
   * own rechecks carry it until the subscription comes.
   */
  async follow(orderId: number, follower: Follower): Promise<() => void> {
    const set = this.followers.get(orderId) ?? new Set<Follower>();
    set.add(follower);
    this.followers.set(orderId, set);
    const subscribing = this.subscribe();
    subscribing.catch(() => undefined);
    await withDeadline(subscribing, SUBSCRIBE_WAIT_MS).catch(() => undefined);
    return () => {
      set.delete(follower);
      if (set.size === 0 && this.followers.get(orderId) === set) this.followers.delete(orderId);
    };
  }

  /** Processes with no followers never open the connection; a failed SUBSCRIBE is tried again by the next follower. */
  private subscribe(): Promise<void> {
    const subscriber = (this.subscriber ??= this.openSubscriber());
    this.subscribed ??= subscribeWhenReady(subscriber, this.channel).then(
      () => undefined,
      (error: Error) => {
        this.logger.warn(`order status feed not subscribed (${error.message}); followers recheck MySQL meanwhile`);
        this.subscribed = undefined;
        throw error;
      },
    );
    return this.subscribed;
  }

  private openSubscriber(): RedisClient {
    const subscriber = this.connections.create({ name: 'order-events' });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.deliver(message);
    });
    // ioredis subscribes again by itself after a reconnect; what was published meanwhile is lost.
    let connectedBefore = false;
    subscriber.on('ready', () => {
      if (connectedBefore) this.everyFollower((follower) => follower.onGap());
      connectedBefore = true;
    });
    return subscriber;
  }

  private deliver(message: string): void {
    let change: OrderStatusChange;
    try {
      change = JSON.parse(message) as OrderStatusChange;
    } catch {
      return;
    }
    for (const follower of this.followers.get(change.id) ?? []) follower.onChange(change);
  }

  private everyFollower(visit: (follower: Follower) => void): void {
    for (const set of this.followers.values()) for (const follower of set) visit(follower);
  }
}

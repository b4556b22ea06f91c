import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { AppConfig, withDeadline } from '@stockroom/core';
import { OrderRepository } from './order.repository';

export const ORDERS_QUEUE = 'orders';
export const PROCESS_ORDER = 'process-order';
export const MAINTENANCE = 'maintenance';

/** BullMQ refuses integer-looking custom ids; one id per order makes a second enqueue a no-op. */
export const orderJobId = (orderId: number): string => `order-${orderId}`;

export interface ProcessOrderJob {
  orderId: number;
}

const ENQUEUE_TIMEOUT_MS = 2_000;
const MARK_EVERY_MS = 100;

/**
 * Hands orders to the queue after their commit, and records which ones made it (the rest are the
 * sweeper's). The record is written in batches: one MySQL commit per order is the intake's main
 * cost, and a lost mark only makes the sweeper add the job again, which is a no-op.
 */
@Injectable()
export class OrderQueue implements BeforeApplicationShutdown {
  private readonly logger = new Logger('OrderQueue');
  private readonly toMark = new Set<number>();
  private markTimer: NodeJS.Timeout | undefined;

  constructor(
    @InjectQueue(ORDERS_QUEUE) readonly queue: Queue,
    private readonly orders: OrderRepository,
    private readonly config: AppConfig,
  ) {}

  /** True when the jobs are in the queue; false (logged) when Redis did not take them in time. */
  async enqueue(orderIds: number[]): Promise<boolean> {
    if (orderIds.length === 0) return true;
    const { jobAttempts, jobBackoffMs, keepCompleted, keepFailed } = this.config.orders;
    const jobs = orderIds.map((orderId) => ({
      name: PROCESS_ORDER,
      data: { orderId } satisfies ProcessOrderJob,
      opts: {
        jobId: orderJobId(orderId),
        attempts: jobAttempts,
        backoff: { type: 'exponential', delay: jobBackoffMs },
        removeOnComplete: { count: keepCompleted },
        removeOnFail: { count: keepFailed },
      },
    }));
    try {
      // The queue's connection waits for Redis rather than failing; an order request must not.
      await withDeadline(this.queue.addBulk(jobs), ENQUEUE_TIMEOUT_MS, `no answer in ${ENQUEUE_TIMEOUT_MS} ms`);
    } catch (error) {
      this.logger.warn(`orders ${orderIds.join(', ')} not queued yet (the sweeper will): ${(error as Error).message}`);
      return false;
    }
    for (const id of orderIds) this.toMark.add(id);
    this.markTimer ??= setTimeout(() => void this.markQueued(), MARK_EVERY_MS);
    return true;
  }

  /**
   * Makes sure each order has a live job: one Redis lost (a flush, a restart without persistence,
   * a failover) is added again, one that used up its attempts (MySQL away for longer than the
   * backoff) is retried. The number of orders given a job again.
   */
  async revive(orderIds: number[]): Promise<number> {
    let revived = 0;
    for (const orderId of orderIds) {
      const job = await this.queue.getJob(orderJobId(orderId));
      if (!job) {
        if (await this.enqueue([orderId])) revived++;
      } else if (await job.isFailed()) {
        await job.retry('failed');
        revived++;
      }
    }
    return revived;
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearTimeout(this.markTimer);
    await this.markQueued();
  }

  /** Bookkeeping for the sweeper only: if it fails, a later enqueue of the same ids is a no-op. */
  async markQueued(): Promise<void> {
    this.markTimer = undefined;
    const ids = [...this.toMark];
    this.toMark.clear();
    await this.orders.markQueued(ids).catch((error: Error) => this.logger.warn(`could not mark ${ids.length} orders queued: ${error.message}`));
  }
}

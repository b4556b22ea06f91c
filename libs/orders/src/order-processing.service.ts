import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@stockroom/core';
import { UnitOfWork } from '@stockroom/database';
import { InventoryService } from '@stockroom/inventory';
import { StatsService } from '@stockroom/stats';
import { Order } from './order.entity';
import { OrderRepository } from './order.repository';
import { PaymentGateway } from './payment.gateway';
import { OrderQueue } from './order-queue';
import { OrderMetrics } from './order-metrics';
import { OrderStatusFeed } from './order-status-feed';

export type ProcessingOutcome = 'confirmed' | 'failed' | 'skipped' | 'refunded';

const SWEEP_BATCH = 500;

export const orderReference = (orderId: number): string => `order-${orderId}`;

/**
 * What the worker does with an order. Every transition is the guarded
 * `UPDATE orders … WHERE status = 'pending'` in the same transaction as its stock change, so a
 * job that runs twice (a retry, a stalled job taken over, the expiry sweep racing a payment)
 * changes stock once: the second finds the order no longer pending and does nothing.
 */
@Injectable()
export class OrderProcessing {
  private readonly logger = new Logger('Orders');

  constructor(
    private readonly orders: OrderRepository,
    private readonly inventory: InventoryService,
    private readonly payments: PaymentGateway,
    private readonly stats: StatsService,
    private readonly queue: OrderQueue,
    private readonly config: AppConfig,
    private readonly metrics: OrderMetrics,
    private readonly feed: OrderStatusFeed,
    private readonly work: UnitOfWork,
  ) {}

  /**
   * Pays for a pending order and confirms it, or fails it on a decline. PaymentUnavailableError
   * propagates (the job retries). Only a pending order is charged; one that left pending while it
   * was being charged (the sweep expired it) gets its payment back.
   */
  async process(orderId: number): Promise<ProcessingOutcome> {
    const order = await this.orders.findById(orderId);
    if (!order || order.status !== 'pending') return 'skipped';
    const decision = await this.payments.charge(order);
    if (!decision.approved) return (await this.fail(orderId, decision.reason)) ? 'failed' : 'skipped';
    if (await this.confirm(order)) return 'confirmed';
    // A second run of the same job (a stalled job taken over) may have confirmed it: that payment stands.
    if ((await this.orders.findById(orderId))?.status === 'confirmed') return 'skipped';
    await this.payments.refund(order, 'the order left pending while it was being paid');
    this.metrics.refunds.inc();
    this.logger.warn(`order ${orderId}: left pending while it was paid (expired); its payment of ${order.total} was refunded`);
    return 'refunded';
  }

  /** The reservation becomes a sale; sales are counted only after the commit. */
  private async confirm(order: Order): Promise<boolean> {
    const lines = order.lines.map(({ productId, quantity }) => ({ productId, quantity }));
    const confirmed = await this.work.run(async () => {
      if (!(await this.orders.leavePending(order.id, 'confirmed'))) return false;
      await this.inventory.sellReserved(lines, { reference: orderReference(order.id), actor: 'worker' });
      return true;
    });
    if (!confirmed) return false;
    await this.feed.announce({ id: order.id, status: 'confirmed', failureReason: null });
    for (const line of lines) this.stats.recordSale(line.productId, line.quantity);
    await this.inventory.afterStockCommitted(lines.map((line) => line.productId)).catch((error: Error) => {
      this.logger.warn(`order ${order.id}: cached products not retired (${error.message}); they expire by TTL`);
    });
    return true;
  }

  /** pending → failed with its reservation released; false when the order had already left pending. */
  async fail(orderId: number, reason: string): Promise<boolean> {
    const failureReason = reason.slice(0, 200);
    const failed = await this.work.run(async () => {
      const order = await this.orders.findById(orderId);
      if (!order || !(await this.orders.leavePending(orderId, 'failed', failureReason))) return false;
      const lines = order.lines.map(({ productId, quantity }) => ({ productId, quantity }));
      await this.inventory.releaseStock(lines, { reference: orderReference(orderId), actor: 'worker' });
      this.logger.log(`order ${orderId} failed: ${reason}`);
      return true;
    });
    if (failed) await this.feed.announce({ id: orderId, status: 'failed', failureReason });
    return failed;
  }

  /**
   * The repeatable maintenance job: orders whose enqueue never happened are queued, orders queued
   * long ago and still pending get their job back (lost with Redis's data, or failed), and orders
   * pending longer than ORDER_RESERVATION_TTL_SECONDS give their stock back.
   */
  async sweep(): Promise<{ queued: number; revived: number; expired: number; failed: number }> {
    const { enqueueGraceMs, reviveAfterMs, reservationTtlSeconds } = this.config.orders;
    const unqueued = await this.orders.unqueued(enqueueGraceMs, SWEEP_BATCH);
    if (unqueued.length > 0 && (await this.queue.enqueue(unqueued))) this.logger.log(`queued ${unqueued.length} orders that had missed the queue`);
    const revived = await this.queue.revive(await this.orders.stillPending(reviveAfterMs, SWEEP_BATCH));
    if (revived > 0) {
      this.metrics.revived.inc(revived);
      this.logger.warn(`gave ${revived} pending orders their job back (lost from Redis, or failed)`);
    }
    let expired = 0;
    let failed = 0;
    // Each order on its own: one that cannot be expired must not keep the others' stock reserved.
    for (const orderId of await this.orders.expired(reservationTtlSeconds, SWEEP_BATCH)) {
      try {
        if (await this.fail(orderId, `reservation expired after ${reservationTtlSeconds} s`)) expired++;
      } catch (error) {
        failed++;
        this.metrics.sweepFailures.inc();
        this.logger.error(`order ${orderId}: could not expire it (the next sweep tries again): ${(error as Error).message}`);
      }
    }
    return { queued: unqueued.length, revived, expired, failed };
  }
}

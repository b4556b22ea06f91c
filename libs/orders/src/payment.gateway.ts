import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { AppConfig } from '@stockroom/core';
import { toCents } from './money';

/** A payment attempt that may succeed if tried again (the job is retried with backoff). */
export class PaymentUnavailableError extends Error {}

export type PaymentDecision = { approved: true } | { approved: false; reason: string };

/**
 * The simulated payment step, configurable so every path can be exercised: a latency
 * (`PAYMENT_DELAY_MS`), a decline above an amount (`PAYMENT_DECLINE_ABOVE`, a business outcome:
 * the order fails at once) and transient errors (`PAYMENT_ERROR_RATE`, retried). A job can run
 * twice (a worker killed after charging, before confirming), so a real provider must be called
 * with the order id as its idempotency key; the order's own transition is already guarded.
 * The simulator keeps its book in `simulated_payments` (one charge and one refund per order, by
 * that key), so tests and operators can see what was taken and given back.
 */
@Injectable()
export class PaymentGateway {
  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async charge(order: { id: number; total: string }): Promise<PaymentDecision> {
    const { paymentDelayMs, paymentErrorRate, paymentDeclineAbove } = this.config.orders;
    if (paymentDelayMs > 0) await sleep(paymentDelayMs);
    if (paymentErrorRate > 0 && Math.random() < paymentErrorRate) throw new PaymentUnavailableError(`payment provider unavailable for order ${order.id}`);
    if (paymentDeclineAbove !== '' && toCents(order.total) > toCents(paymentDeclineAbove)) {
      return { approved: false, reason: `payment declined: total ${order.total} is over ${paymentDeclineAbove}` };
    }
    await this.record(order, 'charge', null);
    return { approved: true };
  }

  /** Gives a charge back (once per order, like the charge). */
  async refund(order: { id: number; total: string }, reason: string): Promise<void> {
    await this.record(order, 'refund', reason.slice(0, 200));
  }

  /** What the provider took and gave back for an order. */
  async book(orderId: number): Promise<Array<{ kind: 'charge' | 'refund'; amount: string; reason: string | null }>> {
    return (await this.dataSource.query('SELECT kind, amount, reason FROM simulated_payments WHERE order_id = ? ORDER BY created_at, kind', [orderId])) as Array<{
      kind: 'charge' | 'refund';
      amount: string;
      reason: string | null;
    }>;
  }

  private async record(order: { id: number; total: string }, kind: 'charge' | 'refund', reason: string | null): Promise<void> {
    await this.dataSource.query('INSERT IGNORE INTO simulated_payments (order_id, kind, amount, reason) VALUES (?, ?, ?, ?)', [order.id, kind, order.total, reason]);
  }
}

import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
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
 */
@Injectable()
export class PaymentGateway {
  constructor(private readonly config: AppConfig) {}

  async charge(order: { id: number; total: string }): Promise<PaymentDecision> {
    const { paymentDelayMs, paymentErrorRate, paymentDeclineAbove } = this.config.orders;
    if (paymentDelayMs > 0) await sleep(paymentDelayMs);
    if (paymentErrorRate > 0 && Math.random() < paymentErrorRate) throw new PaymentUnavailableError(`payment provider unavailable for order ${order.id}`);
    if (paymentDeclineAbove !== '' && toCents(order.total) > toCents(paymentDeclineAbove)) {
      return { approved: false, reason: `payment declined: total ${order.total} is over ${paymentDeclineAbove}` };
    }
    return { approved: true };
  }
}

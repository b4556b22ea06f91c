import { Injectable } from '@nestjs/common';
import { EventStream, Principal, STAFF_ROLES } from '@stockroom/core';
import { StockLine } from '@stockroom/inventory';
import { Order, OrderStatus } from './order.entity';
import { OrderRepository } from './order.repository';
import { OrderIntake } from './order-intake';
import { OrderNotFoundError } from './orders.errors';
import { OrderStatusChange, OrderStatusFeed } from './order-status-feed';

/** A follower also reads the order this often: a change announced while its instance's subscription was down still arrives. */
const RECHECK_MS = 5_000;

export interface PlacedOrder {
  id: number;
  status: OrderStatus;
}

const isStaff = (principal: Principal): boolean => STAFF_ROLES.includes(principal.role);

/**
 * Taking orders (OrderIntake: the order and its reservations in one transaction, alone or in a
 * group commit, then the queue), reading them, following their status. The answer never waits
 * for payment.
 */
@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrderRepository,
    private readonly intake: OrderIntake,
    private readonly feed: OrderStatusFeed,
  ) {}

  /**
   * Streams an order's status as `status` events until it is final: the current one first (read
   * after following began, so no change falls in between), then each change announced by whichever
   * process made it; the stream ends at `confirmed` or `failed`.
   */
  async streamStatus(order: Order, stream: EventStream): Promise<void> {
    const id = order.id;
    let shown: OrderStatus | undefined;
    const show = (change: OrderStatusChange) => {
      if (stream.closed || change.status === shown) return;
      shown = change.status;
      stream.send('status', { id, status: change.status, failureReason: change.failureReason });
      if (change.status !== 'pending') stream.close();
    };
    const recheck = async () => {
      const current = await this.orders.statusOf(id).catch(() => null);
      if (current) show({ id, ...current });
    };
    const stop = await this.feed.follow(id, { onChange: show, onGap: () => void recheck() });
    const timer = setInterval(() => void recheck(), RECHECK_MS);
    timer.unref();
    stream.onClose(() => {
      stop();
      clearInterval(timer);
    });
    await recheck();
  }

  /** Reserves every line with the order in one transaction, then queues it; answered only once committed. */
  async place(principal: Principal, items: StockLine[], idempotencyKey: string | undefined): Promise<PlacedOrder> {
    return { id: await this.intake.place(principal.userId, items, idempotencyKey ?? null), status: 'pending' };
  }

  /** The order a user placed with an Idempotency-Key, as placing it answered (for a retry Redis cannot answer). */
  async placedWith(principal: Principal, idempotencyKey: string): Promise<PlacedOrder | undefined> {
    const existing = await this.orders.findByIdempotencyKey(principal.userId, idempotencyKey);
    return existing ? { id: existing.id, status: 'pending' } : undefined;
  }

  /** Owners see their orders, staff every order; someone else's order is a 404, not a 403 (its id says nothing). */
  async get(principal: Principal, id: number): Promise<Order> {
    const order = await this.orders.findById(id);
    if (!order || (!isStaff(principal) && order.userId !== principal.userId)) throw new OrderNotFoundError(id);
    return order;
  }

  list(principal: Principal, query: { page: number; limit: number; status?: OrderStatus; userId?: number }): Promise<{ items: Order[]; total: number }> {
    const userId = isStaff(principal) ? query.userId : principal.userId;
    return this.orders.page({ page: query.page, limit: query.limit, status: query.status, userId });
  }
}

import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { AppConfig } from '@stockroom/core';
import { ProductNotFoundError, ProductService } from '@stockroom/catalog';
import { GroupCommit, Outcome, UnitOfWork } from '@stockroom/database';
import { IntakeMetrics, InventoryService, mergeLines, StockLine } from '@stockroom/inventory';
import { DuplicateOrderError, NewOrder, OrderRepository } from './order.repository';
import { OrderQueue } from './order-queue';
import { orderReference } from './order-processing.service';
import { formatCents, toCents } from './money';

interface OrderRequest {
  userId: number;
  /** Merged: one line per product, in product-id order. */
  lines: StockLine[];
  idempotencyKey: string | null;
}

/** The order row and lines for `request` at these prices, or the product that has none (it does not exist). */
function priced(request: OrderRequest, prices: Map<number, string>): NewOrder | ProductNotFoundError {
  const missing = request.lines.find((line) => !prices.has(line.productId));
  if (missing) return new ProductNotFoundError({ id: missing.productId });
  const lines = request.lines.map((line) => ({ ...line, unitPrice: prices.get(line.productId) as string }));
  const total = formatCents(lines.reduce((sum, line) => sum + toCents(line.unitPrice) * BigInt(line.quantity), 0n));
  return { userId: request.userId, total, idempotencyKey: request.idempotencyKey, lines };
}

/**
 * Taking an order into MySQL, then handing it to the queue; the id is returned only after both
 * (the queue's part may fall to the sweeper). Two paths (INTAKE_MODE):
 * - `batched` (group commit): concurrent orders in this process wait a few ms for each other and
 *   are written in one transaction: the keys already used in one read (when any order has one),
 *   every product locked, priced and decided in one statement (in arrival order, each order filled
 *   completely or refused), the orders, lines and ledger in one INSERT each, one commit, one
 *   enqueue. A group whose write fails as a whole (a duplicate Idempotency-Key, a deadlock) is
 *   written again order by order.
 * - `per-order`: one transaction per order (the orders, each line's guarded UPDATE, the ledger).
 * Either way an order is all or nothing, and MySQL's row locks arbitrate between instances.
 */
@Injectable()
export class OrderIntake implements BeforeApplicationShutdown {
  private readonly group: GroupCommit<OrderRequest, number>;

  constructor(
    private readonly orders: OrderRepository,
    private readonly inventory: InventoryService,
    private readonly queue: OrderQueue,
    private readonly catalog: ProductService,
    private readonly work: UnitOfWork,
    private readonly config: AppConfig,
    metrics: IntakeMetrics,
  ) {
    this.group = new GroupCommit(
      config.intake,
      { group: (requests) => this.placeGroup(requests), single: (request) => this.placeOne(request) },
      metrics.track('order', () => this.group.pending),
    );
  }

  /** The new order's id, once it is committed (and queued, or left to the sweeper). */
  place(userId: number, items: StockLine[], idempotencyKey: string | null): Promise<number> {
    const request = { userId, lines: mergeLines(items), idempotencyKey };
    return this.config.intake.mode === 'batched' ? this.group.submit(request) : this.placeOne(request);
  }

  /** Orders waiting for their group are written and queued before the database and Redis close. */
  beforeApplicationShutdown(): Promise<void> {
    return this.group.drain();
  }

  private async placeOne(request: OrderRequest): Promise<number> {
    const id = await this.work.run(async () => {
      const order = priced(request, await this.catalog.pricesOf(request.lines.map((line) => line.productId)));
      if (order instanceof ProductNotFoundError) throw order;
      const orderId = await this.orders.insert(order);
      await this.inventory.reserveStock(request.lines, { reference: orderReference(orderId), actor: `user:${request.userId}` });
      return orderId;
    });
    // After the commit; if Redis does not take it, the sweeper does (the order is already safe in MySQL).
    await this.queue.enqueue([id]);
    return id;
  }

  private async placeGroup(requests: OrderRequest[]): Promise<Array<Outcome<number>>> {
    const outcomes = await this.work.run(() => this.writeGroup(requests));
    await this.queue.enqueue(outcomes.flatMap((outcome) => ('value' in outcome ? [outcome.value] : [])));
    return outcomes;
  }

  private async writeGroup(requests: OrderRequest[]): Promise<Array<Outcome<number>>> {
    // A retry whose key already made an order is answered with that order (as the per-order path's
    // INSERT would), before stock is decided: it must not be refused for stock it already holds.
    const taken = await this.orders.takenKeys(requests);
    const fresh = requests.filter((request) => request.idempotencyKey === null || !taken.has(`${request.userId}:${request.idempotencyKey}`));
    // The prices come from the locking read: what the orders are charged is what the rows held when they were decided.
    const { decisions, prices, stamp } = await this.inventory.allocate(fresh.map((request) => request.lines));
    const outcomes = new Map<OrderRequest, Outcome<number>>();
    const accepted: Array<{ request: OrderRequest; order: NewOrder }> = [];
    for (const [index, request] of fresh.entries()) {
      const refusal = decisions[index];
      if (refusal) {
        outcomes.set(request, { error: refusal });
        continue;
      }
      const order = priced(request, prices);
      // Reserved, so every product was found with its price: anything else fails the group (its orders are retried alone).
      if (order instanceof ProductNotFoundError) throw order;
      accepted.push({ request, order });
    }
    if (accepted.length > 0 && stamp) {
      const ids = await this.orders.insertMany(accepted.map(({ order }) => order), stamp);
      await this.inventory.recordReservations(
        accepted.map(({ order }, index) => ({ lines: order.lines, context: { reference: orderReference(ids[index]), actor: `user:${order.userId}` } })),
        stamp,
      );
      accepted.forEach(({ request }, index) => outcomes.set(request, { value: ids[index] }));
    }
    return requests.map((request) => outcomes.get(request) ?? { error: new DuplicateOrderError() });
  }
}

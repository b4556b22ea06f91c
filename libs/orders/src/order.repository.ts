import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { InsertStamp, isDuplicateKeyError, onPrimary, UnitOfWork } from '@stockroom/database';
import { DuplicateRequestError } from '@stockroom/idempotency';
import { Order, OrderLine, OrderStatus } from './order.entity';

/** A second order with one user's Idempotency-Key: the first one's answer is recovered. */
export class DuplicateOrderError extends DuplicateRequestError {}

export interface NewOrder {
  userId: number;
  total: string;
  idempotencyKey: string | null;
  lines: Array<{ productId: number; quantity: number; unitPrice: string }>;
}

export interface OrderFilter {
  userId?: number;
  status?: OrderStatus;
  page: number;
  limit: number;
}

/** Every query on orders and their lines, all on the primary (orders decide stock); status changes are guarded UPDATEs. */
@Injectable()
export class OrderRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly work: UnitOfWork,
  ) {}

  /** Inserts the order and its lines; a second order with the user's idempotency key is DuplicateOrderError. */
  async insert(order: NewOrder): Promise<number> {
    const { manager } = this.work;
    let id: number;
    try {
      const result = await manager.insert(Order, { userId: order.userId, status: 'pending', total: order.total, idempotencyKey: order.idempotencyKey });
      id = (result.identifiers[0] as { id: number }).id;
    } catch (error) {
      if (isDuplicateKeyError(error, 'UQ_orders_idempotency')) throw new DuplicateOrderError();
      throw error;
    }
    await manager.insert(
      OrderLine,
      order.lines.map((line, index) => ({ orderId: id, lineNo: index + 1, ...line })),
    );
    return id;
  }

  /** Group commit: the orders in one INSERT and all their lines in another; their ids, in order (see InsertStamp). */
  async insertMany(orders: NewOrder[], stamp: InsertStamp): Promise<number[]> {
    if (orders.length === 0) return [];
    const { manager } = this.work;
    let result: { insertId: number };
    try {
      result = (await manager.query('INSERT INTO orders (user_id, status, total, idempotency_key) VALUES ?', [
        orders.map((order) => [order.userId, 'pending', order.total, order.idempotencyKey]),
      ])) as { insertId: number };
    } catch (error) {
      if (isDuplicateKeyError(error, 'UQ_orders_idempotency')) throw new DuplicateOrderError();
      throw error;
    }
    const ids = orders.map((_, index) => Number(result.insertId) + index * stamp.idStep);
    await manager.query('INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price) VALUES ?', [
      orders.flatMap((order, index) => order.lines.map((line, lineIndex) => [ids[index], lineIndex + 1, line.productId, line.quantity, line.unitPrice])),
    ]);
    return ids;
  }

  /** Which of these (user, Idempotency-Key) pairs already made an order, as `${userId}:${key}` (in the open unit of work). */
  async takenKeys(pairs: Array<{ userId: number; idempotencyKey: string | null }>): Promise<Set<string>> {
    const keyed = pairs.filter((pair): pair is { userId: number; idempotencyKey: string } => pair.idempotencyKey !== null);
    if (keyed.length === 0) return new Set();
    const rows = (await this.work.manager.query('SELECT user_id, idempotency_key FROM orders WHERE user_id IN (?) AND idempotency_key IN (?)', [
      [...new Set(keyed.map((pair) => pair.userId))],
      [...new Set(keyed.map((pair) => pair.idempotencyKey))],
    ])) as Array<{ user_id: number; idempotency_key: string }>;
    return new Set(rows.map((row) => `${row.user_id}:${row.idempotency_key}`));
  }

  /** In the open unit of work, else on the primary. */
  findById(id: number): Promise<Order | null> {
    const find = (m: EntityManager) => m.findOne(Order, { where: { id }, relations: { lines: true }, order: { lines: { lineNo: 'ASC' } } });
    return this.work.active ? find(this.work.manager) : onPrimary(this.dataSource, find);
  }

  /** Just the status, on the primary (what followers of an order recheck). */
  async statusOf(id: number): Promise<{ status: OrderStatus; failureReason: string | null } | null> {
    const rows = (await onPrimary(this.dataSource, (m) => m.query('SELECT status, failure_reason FROM orders WHERE id = ?', [id]))) as Array<{
      status: OrderStatus;
      failure_reason: string | null;
    }>;
    return rows[0] ? { status: rows[0].status, failureReason: rows[0].failure_reason } : null;
  }

  findByIdempotencyKey(userId: number, key: string): Promise<Order | null> {
    return onPrimary(this.dataSource, (m) => m.findOne(Order, { where: { userId, idempotencyKey: key }, relations: { lines: true }, order: { lines: { lineNo: 'ASC' } } }));
  }

  async page(filter: OrderFilter): Promise<{ items: Order[]; total: number }> {
    const where = { ...(filter.userId === undefined ? {} : { userId: filter.userId }), ...(filter.status ? { status: filter.status } : {}) };
    return onPrimary(this.dataSource, async (m) => {
      const [orders, total] = await m.findAndCount(Order, { where, order: { id: 'DESC' }, skip: (filter.page - 1) * filter.limit, take: filter.limit });
      if (orders.length === 0) return { items: [], total };
      const lines = await m.find(OrderLine, { where: { orderId: In(orders.map((o) => o.id)) }, order: { orderId: 'ASC', lineNo: 'ASC' } });
      for (const order of orders) order.lines = lines.filter((line) => line.orderId === order.id);
      return { items: orders, total };
    });
  }

  /** pending → `to`, only if still pending: whoever commits first decides, everyone else changes nothing. */
  async leavePending(id: number, to: Exclude<OrderStatus, 'pending'>, failureReason: string | null = null): Promise<boolean> {
    const result = (await this.work.manager.query("UPDATE orders SET status = ?, failure_reason = ? WHERE id = ? AND status = 'pending'", [to, failureReason, id])) as {
      affectedRows: number;
    };
    return result.affectedRows === 1;
  }

  async markQueued(ids: number[]): Promise<void> {
    if (ids.length > 0) await this.dataSource.query('UPDATE orders SET queued_at = CURRENT_TIMESTAMP(3) WHERE id IN (?) AND queued_at IS NULL', [ids]);
  }

  /** Pending orders never handed to the queue (the enqueue after their commit failed or never ran). */
  unqueued(olderThanMs: number, limit: number): Promise<number[]> {
    return this.pendingIds('queued_at IS NULL AND created_at < CURRENT_TIMESTAMP(3) - INTERVAL ? MICROSECOND', 'id', [olderThanMs * 1000, limit]);
  }

  /** Pending orders queued longer ago than `olderThanMs`: their job may have been lost with Redis's data, or have failed. */
  stillPending(olderThanMs: number, limit: number): Promise<number[]> {
    return this.pendingIds('queued_at < CURRENT_TIMESTAMP(3) - INTERVAL ? MICROSECOND', 'queued_at', [olderThanMs * 1000, limit]);
  }

  /** Pending orders whose reservation has outlived its time. */
  expired(olderThanSeconds: number, limit: number): Promise<number[]> {
    return this.pendingIds('created_at < CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND', 'created_at', [olderThanSeconds, limit]);
  }

  /** Ids of pending orders matching `condition` (its parameters, then the limit), oldest by `order` first. */
  private async pendingIds(condition: string, order: string, params: number[]): Promise<number[]> {
    const rows = (await this.dataSource.query(`SELECT id FROM orders WHERE status = 'pending' AND ${condition} ORDER BY ${order} LIMIT ?`, params)) as Array<{ id: number }>;
    return rows.map((row) => row.id);
  }
}

import type { AppConfig } from '@stockroom/core';
import { loadConfig } from '@stockroom/core';
import type { UnitOfWork } from '@stockroom/database';
import type { InventoryService } from '@stockroom/inventory';
import type { StatsService } from '@stockroom/stats';
import { OrderProcessing } from './order-processing.service';
import type { Order, OrderStatus } from './order.entity';
import type { OrderRepository } from './order.repository';
import type { PaymentGateway } from './payment.gateway';
import type { OrderQueue } from './order-queue';
import type { OrderMetrics } from './order-metrics';
import type { OrderStatusFeed } from './order-status-feed';

/** An order row and the guarded transition, as MySQL would apply it. */
function setup(status: OrderStatus, payment: { approved: true } | { approved: false; reason: string } = { approved: true }) {
  const order = { id: 7, status, total: '12.00', lines: [{ productId: 1, quantity: 2 }, { productId: 2, quantity: 1 }] } as unknown as Order;
  const calls: string[] = [];
  const orders = {
    findById: async () => ({ ...order, lines: order.lines }),
    leavePending: async (_id: number, to: OrderStatus) => {
      if (order.status !== 'pending') return false;
      order.status = to;
      calls.push(`leave:${to}`);
      return true;
    },
    unqueued: async () => [],
    stillPending: async () => [],
    expired: async () => [7, 8],
  } as unknown as OrderRepository;
  const inventory = {
    sellReserved: async () => calls.push('sell'),
    releaseStock: async () => calls.push('release'),
    afterStockCommitted: async (ids: number[]) => calls.push(`retire:${ids.join(',')}`),
  } as unknown as InventoryService;
  const payments = { charge: async () => (calls.push('charge'), payment), refund: async () => calls.push('refund') } as unknown as PaymentGateway;
  const stats = { recordSale: (id: number, n: number) => calls.push(`sale:${id}x${n}`) } as unknown as StatsService;
  const queue = { enqueue: async () => true, revive: async () => 0 } as unknown as OrderQueue;
  const metrics = { refunds: { inc: () => calls.push('refund-metric') }, revived: { inc: () => undefined }, sweepFailures: { inc: () => calls.push('sweep-failure') } } as unknown as OrderMetrics;
  const feed = { announce: async (change: { status: string }) => calls.push(`announce:${change.status}`) } as unknown as OrderStatusFeed;
  const work = { run: async <T>(fn: () => Promise<T>) => (calls.push('tx'), fn()) } as unknown as UnitOfWork;
  const config: AppConfig = loadConfig({ ADMIN_PASSWORD: 'a long enough passphrase' });
  const processing = new OrderProcessing(orders, inventory, payments, stats, queue, config, metrics, feed, work);
  return { processing, order, calls };
}

describe('OrderProcessing', () => {
  it('charges a pending order, then confirms it and sells its reservation in one unit of work, then counts, retires and announces', async () => {
    const { processing, calls } = setup('pending');
    expect(await processing.process(7)).toBe('confirmed');
    expect(calls).toEqual(['charge', 'tx', 'leave:confirmed', 'sell', 'announce:confirmed', 'sale:1x2', 'sale:2x1', 'retire:1,2']);
  });

  it('fails a declined order with its reason and gives the stock back', async () => {
    const { processing, order, calls } = setup('pending', { approved: false, reason: 'declined' });
    expect(await processing.process(7)).toBe('failed');
    expect(order.status).toBe('failed');
    expect(calls).toEqual(['charge', 'tx', 'leave:failed', 'release', 'announce:failed']);
  });

  it('does nothing for an order that already left pending', async () => {
    const { processing, calls } = setup('confirmed');
    expect(await processing.process(7)).toBe('skipped');
    expect(calls).toEqual([]);
  });

  it('refunds a payment whose order expired while it was charged', async () => {
    const { processing, order, calls } = setup('pending');
    const charge = (processing as unknown as { payments: { charge: () => Promise<unknown> } }).payments;
    charge.charge = async () => {
      order.status = 'failed';
      return { approved: true };
    };
    expect(await processing.process(7)).toBe('refunded');
    expect(calls).toEqual(['tx', 'refund', 'refund-metric']);
  });

  it('expires each order of the sweep on its own: one that fails does not stop the others', async () => {
    const { processing, calls } = setup('pending');
    const fail = jest.spyOn(processing, 'fail').mockImplementation(async (id) => {
      if (id === 7) throw new Error('deadlock');
      return true;
    });
    expect(await processing.sweep()).toEqual({ queued: 0, revived: 0, expired: 1, failed: 1 });
    expect(fail).toHaveBeenCalledTimes(2);
    expect(calls).toContain('sweep-failure');
  });
});

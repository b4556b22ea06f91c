import type { AppConfig } from '@stockroom/core';
import type { ProductService } from '@stockroom/catalog';
import { ProductNotFoundError } from '@stockroom/catalog';
import type { InsertStamp, UnitOfWork } from '@stockroom/database';
import { InsufficientStockError } from '@stockroom/inventory';
import type { IntakeMetrics, InventoryService, StockLine } from '@stockroom/inventory';
import { OrderIntake } from './order-intake';
import { DuplicateOrderError } from './order.repository';
import type { NewOrder, OrderRepository } from './order.repository';
import type { OrderQueue } from './order-queue';

const STAMP: InsertStamp = { now: new Date(0), idStep: 1 };

function setup(mode: 'batched' | 'per-order', prices: Record<number, string>, stock: Record<number, number> = {}) {
  const calls: string[] = [];
  const inserted: NewOrder[] = [];
  let nextId = 41;
  const orders = {
    insert: async (order: NewOrder) => (inserted.push(order), calls.push('insert'), nextId++),
    takenKeys: async (pairs: Array<{ userId: number; idempotencyKey: string | null }>) =>
      new Set(pairs.filter((pair) => pair.idempotencyKey === 'used').map((pair) => `${pair.userId}:used`)),
    insertMany: async (batch: NewOrder[]) => {
      if (batch.some((order) => order.idempotencyKey === 'dup')) throw new DuplicateOrderError();
      inserted.push(...batch);
      calls.push(`insertMany:${batch.length}`);
      return batch.map(() => nextId++);
    },
  } as unknown as OrderRepository;
  const available = new Map(Object.entries(stock).map(([id, units]) => [Number(id), units]));
  const inventory = {
    reserveStock: async (lines: StockLine[], context: { reference: string }) => calls.push(`reserve:${context.reference}:${JSON.stringify(lines)}`),
    allocate: async (requests: StockLine[][]) => {
      calls.push(`allocate:${requests.length}`);
      const found = new Map(Object.entries(prices).map(([id, price]) => [Number(id), price]));
      const decisions = requests.map((lines) => {
        const unknown = lines.find((line) => !found.has(line.productId));
        if (unknown) return new ProductNotFoundError({ id: unknown.productId });
        const short = lines.filter((line) => (available.get(line.productId) ?? 0) < line.quantity);
        if (short.length) return new InsufficientStockError(short.map((line) => ({ ...line, requested: line.quantity, available: available.get(line.productId) ?? 0 })));
        for (const line of lines) available.set(line.productId, (available.get(line.productId) ?? 0) - line.quantity);
        return null;
      });
      return { decisions, prices: found, stamp: STAMP };
    },
    recordReservations: async (entries: Array<{ context: { reference: string } }>) => calls.push(`ledger:${entries.map((entry) => entry.context.reference).join(',')}`),
  } as unknown as InventoryService;
  const queue = { enqueue: async (ids: number[]) => (calls.push(`enqueue:${ids.join(',')}`), true) } as unknown as OrderQueue;
  const catalog = { pricesOf: async (ids: number[]) => new Map(ids.filter((id) => prices[id]).map((id) => [id, prices[id]])) } as unknown as ProductService;
  const work = {
    run: async <T>(fn: () => Promise<T>) => (calls.push('tx'), fn().then((value) => (calls.push('commit'), value))),
    active: false,
  } as unknown as UnitOfWork;
  const config = { intake: { mode, windowMs: 5, maxBatch: 100, maxInFlight: 1 } } as AppConfig;
  const metrics = { track: () => () => undefined } as unknown as IntakeMetrics;
  const intake = new OrderIntake(orders, inventory, queue, catalog, work, config, metrics);
  return { intake, calls, inserted };
}

describe('OrderIntake', () => {
  describe('per-order', () => {
    it('prices, writes and reserves an order in one unit of work, and queues it only after the commit', async () => {
      const { intake, calls, inserted } = setup('per-order', { 1: '19.99', 2: '0.10' });
      const id = await intake.place(5, [{ productId: 1, quantity: 2 }, { productId: 2, quantity: 3 }, { productId: 1, quantity: 1 }], 'key-1');
      expect(id).toBe(41);
      expect(calls).toEqual(['tx', 'insert', 'reserve:order-41:[{"productId":1,"quantity":3},{"productId":2,"quantity":3}]', 'commit', 'enqueue:41']);
      // Exact cents: 3 × 19.99 + 3 × 0.10.
      expect(inserted[0]).toMatchObject({ userId: 5, total: '60.27', idempotencyKey: 'key-1' });
    });

    it('refuses a line whose product does not exist, before writing anything', async () => {
      const { intake, calls } = setup('per-order', { 1: '1.00' });
      await expect(intake.place(5, [{ productId: 1, quantity: 1 }, { productId: 9, quantity: 1 }], null)).rejects.toBeInstanceOf(ProductNotFoundError);
      expect(calls).toEqual(['tx']);
    });
  });

  describe('batched', () => {
    it('writes concurrent orders in one transaction, decides each in arrival order, and queues the accepted ones after the commit', async () => {
      const { intake, calls, inserted } = setup('batched', { 1: '2.50', 2: '1.00' }, { 1: 5, 2: 1 });
      const results = await Promise.allSettled([
        intake.place(5, [{ productId: 1, quantity: 3 }], null),
        intake.place(6, [{ productId: 1, quantity: 3 }], null), // only 2 left of product 1
        intake.place(7, [{ productId: 9, quantity: 1 }], null), // no such product
        intake.place(8, [{ productId: 1, quantity: 2 }, { productId: 2, quantity: 1 }], 'k8'),
      ]);
      expect(results.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as Error).constructor.name))).toEqual([
        41,
        'InsufficientStockError',
        'ProductNotFoundError',
        42,
      ]);
      expect(calls).toEqual(['tx', 'allocate:4', 'insertMany:2', 'ledger:order-41,order-42', 'commit', 'enqueue:41,42']);
      expect(inserted.map((order) => [order.userId, order.total, order.idempotencyKey])).toEqual([
        [5, '7.50', null],
        [8, '6.00', 'k8'],
      ]);
    });

    it('answers a retry whose key already made an order as a duplicate (recovered by @Idempotent), before deciding stock', async () => {
      const { intake, calls } = setup('batched', { 1: '1.00' }, { 1: 0 });
      const results = await Promise.allSettled([intake.place(5, [{ productId: 1, quantity: 1 }], 'used')]);
      expect(results[0]).toMatchObject({ status: 'rejected', reason: expect.any(DuplicateOrderError) });
      expect(calls).toEqual(['tx', 'allocate:0', 'commit', 'enqueue:']);
    });

    it('writes each order alone when the group fails as a whole, so one bad order does not fail the others', async () => {
      const { intake, calls } = setup('batched', { 1: '1.00' }, { 1: 10 });
      const results = await Promise.allSettled([intake.place(5, [{ productId: 1, quantity: 1 }], 'a'), intake.place(5, [{ productId: 1, quantity: 1 }], 'dup')]);
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
      // The group rolled back (no commit, nothing queued), then each order had its own transaction.
      expect(calls.slice(0, 3)).toEqual(['tx', 'allocate:2', 'tx']);
      expect(calls.filter((call) => call.startsWith('enqueue'))).toEqual(['enqueue:41', 'enqueue:42']);
    });
  });
});

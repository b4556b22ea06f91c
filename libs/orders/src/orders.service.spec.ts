import type { Principal } from '@stockroom/core';
import type { ProductService } from '@stockroom/catalog';
import { ProductNotFoundError } from '@stockroom/catalog';
import type { UnitOfWork } from '@stockroom/database';
import type { InventoryService } from '@stockroom/inventory';
import { OrdersService } from './orders.service';
import { OrderNotFoundError } from './orders.errors';
import type { NewOrder, OrderRepository } from './order.repository';
import type { OrderQueue } from './order-queue';
import type { OrderStatusFeed } from './order-status-feed';
import type { Order } from './order.entity';

const customer: Principal = { userId: 5, role: 'customer' };
const staff: Principal = { userId: 1, role: 'staff' };

function setup(prices: Record<number, string>) {
  const calls: string[] = [];
  const inserted: NewOrder[] = [];
  const orders = {
    insert: async (order: NewOrder) => (inserted.push(order), calls.push('insert'), 41),
    findById: async (id: number) => (id === 41 ? ({ id, userId: 5, status: 'pending' } as Order) : null),
    findByIdempotencyKey: async (userId: number, key: string) => (userId === 5 && key === 'k' ? ({ id: 41 } as Order) : null),
  } as unknown as OrderRepository;
  const inventory = { reserveStock: async (lines: unknown, context: { reference: string }) => calls.push(`reserve:${context.reference}:${JSON.stringify(lines)}`) } as unknown as InventoryService;
  const queue = { enqueue: async (ids: number[]) => (calls.push(`enqueue:${ids.join(',')}`), true) } as unknown as OrderQueue;
  const catalog = { pricesOf: async (ids: number[]) => new Map(ids.filter((id) => prices[id]).map((id) => [id, prices[id]])) } as unknown as ProductService;
  const work = { run: async <T>(fn: () => Promise<T>) => (calls.push('tx'), fn().then((value) => (calls.push('commit'), value))) } as unknown as UnitOfWork;
  const service = new OrdersService(orders, inventory, queue, {} as OrderStatusFeed, catalog, work);
  return { service, calls, inserted };
}

describe('OrdersService', () => {
  it('prices, writes and reserves an order in one unit of work, and queues it only after the commit', async () => {
    const { service, calls, inserted } = setup({ 1: '19.99', 2: '0.10' });
    const placed = await service.place(customer, [{ productId: 1, quantity: 2 }, { productId: 2, quantity: 3 }, { productId: 1, quantity: 1 }], 'key-1');
    expect(placed).toEqual({ id: 41, status: 'pending' });
    expect(calls).toEqual(['tx', 'insert', 'reserve:order-41:[{"productId":1,"quantity":3},{"productId":2,"quantity":3}]', 'commit', 'enqueue:41']);
    // Exact cents: 3 × 19.99 + 3 × 0.10.
    expect(inserted[0]).toMatchObject({ userId: 5, total: '60.27', idempotencyKey: 'key-1' });
  });

  it('refuses a line whose product does not exist, before writing anything', async () => {
    const { service, calls } = setup({ 1: '1.00' });
    await expect(service.place(customer, [{ productId: 1, quantity: 1 }, { productId: 9, quantity: 1 }], undefined)).rejects.toBeInstanceOf(ProductNotFoundError);
    expect(calls).toEqual(['tx']);
  });

  it('shows an order to its owner and to staff, and is a 404 to anyone else', async () => {
    const { service } = setup({});
    await expect(service.get(customer, 41)).resolves.toMatchObject({ id: 41 });
    await expect(service.get(staff, 41)).resolves.toMatchObject({ id: 41 });
    await expect(service.get({ userId: 6, role: 'customer' }, 41)).rejects.toBeInstanceOf(OrderNotFoundError);
    await expect(service.get(staff, 40)).rejects.toBeInstanceOf(OrderNotFoundError);
  });

  it('rebuilds a placement\'s answer from a user\'s key', async () => {
    const { service } = setup({});
    expect(await service.placedWith(customer, 'k')).toEqual({ id: 41, status: 'pending' });
    expect(await service.placedWith({ userId: 6, role: 'customer' }, 'k')).toBeUndefined();
  });
});

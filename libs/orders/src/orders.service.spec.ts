import type { Principal } from '@stockroom/core';
import { OrdersService } from './orders.service';
import { OrderNotFoundError } from './orders.errors';
import type { OrderRepository } from './order.repository';
import type { OrderIntake } from './order-intake';
import type { OrderStatusFeed } from './order-status-feed';
import type { Order } from './order.entity';

const customer: Principal = { userId: 5, role: 'customer' };
const staff: Principal = { userId: 1, role: 'staff' };

function setup() {
  const orders = {
    findById: async (id: number) => (id === 41 ? ({ id, userId: 5, status: 'pending' } as Order) : null),
    findByIdempotencyKey: async (userId: number, key: string) => (userId === 5 && key === 'k' ? ({ id: 41 } as Order) : null),
  } as unknown as OrderRepository;
  const intake = { place: async () => 41 } as unknown as OrderIntake;
  return { service: new OrdersService(orders, intake, {} as OrderStatusFeed) };
}

describe('OrdersService', () => {
  it('shows an order to its owner and to staff, and is a 404 to anyone else', async () => {
    const { service } = setup();
    await expect(service.get(customer, 41)).resolves.toMatchObject({ id: 41 });
    await expect(service.get(staff, 41)).resolves.toMatchObject({ id: 41 });
    await expect(service.get({ userId: 6, role: 'customer' }, 41)).rejects.toBeInstanceOf(OrderNotFoundError);
    await expect(service.get(staff, 40)).rejects.toBeInstanceOf(OrderNotFoundError);
  });

  it('answers a placement with the id the intake committed, pending', async () => {
    const { service } = setup();
    expect(await service.place(customer, [{ productId: 1, quantity: 1 }], undefined)).toEqual({ id: 41, status: 'pending' });
  });

  it('rebuilds a placement\'s answer from a user\'s key', async () => {
    const { service } = setup();
    expect(await service.placedWith(customer, 'k')).toEqual({ id: 41, status: 'pending' });
    expect(await service.placedWith({ userId: 6, role: 'customer' }, 'k')).toBeUndefined();
  });
});

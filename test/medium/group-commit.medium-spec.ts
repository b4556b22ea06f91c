import type { INestApplicationContext } from '@nestjs/common';
import { ProductRepository } from '@stockroom/catalog';
import { InventoryCoreModule, InventoryRepository, ReservationIntake } from '@stockroom/inventory';
import { DuplicateOrderError, OrderIntake, OrdersCoreModule } from '@stockroom/orders';
import { bootCore } from '../support/core-app';
import { TestContext } from '../support/test-context';

/** Group commit on the real MySQL: what one group writes, and what happens when its write fails as a whole. */
describe('Group commit (medium tier)', () => {
  let context: TestContext;
  let app: INestApplicationContext;
  let products: ProductRepository;
  let orders: OrderIntake;
  let reservations: ReservationIntake;
  let ledger: InventoryRepository;

  beforeAll(async () => {
    context = await TestContext.create();
    // A wide window: everything a test submits at once lands in one group.
    app = await bootCore(context, [InventoryCoreModule, OrdersCoreModule], { INTAKE_WINDOW_MS: '200' });
    [products, orders, reservations, ledger] = [app.get(ProductRepository), app.get(OrderIntake), app.get(ReservationIntake), app.get(InventoryRepository)];
  });

  afterAll(async () => {
    await app?.close();
    await context?.dispose();
  });

  const product = (sku: string, stock: number) => products.create({ sku, name: sku, description: '', price: '1.25', stock });

  it('returns the ids and movements the group wrote (one INSERT each), exactly as MySQL stored them', async () => {
    const [a, b] = [await product('GC-1', 10), await product('GC-2', 10)];
    const placed = await Promise.all([
      orders.place(7, [{ productId: a.id, quantity: 2 }], null),
      orders.place(8, [{ productId: b.id, quantity: 1 }, { productId: a.id, quantity: 1 }], 'gc-key'),
    ]);
    const rows = await context.query<Array<{ id: number; user_id: number; total: string; idempotency_key: string | null }>>(
      'SELECT id, user_id, total, idempotency_key FROM orders WHERE id IN (?) ORDER BY id',
      [placed],
    );
    expect(rows.map((row) => [row.id, row.user_id, row.total, row.idempotency_key])).toEqual([
      [placed[0], 7, '2.50', null],
      [placed[1], 8, '2.50', 'gc-key'],
    ]);

    const reserved = await Promise.all([
      reservations.reserve([{ productId: a.id, quantity: 1 }], { reference: 'gc-r1' }),
      reservations.reserve([{ productId: b.id, quantity: 2 }, { productId: a.id, quantity: 1 }], { reference: 'gc-r2' }),
    ]);
    const stored = [...(await ledger.findMovementsByReference('gc-r1', 'reservation')), ...(await ledger.findMovementsByReference('gc-r2', 'reservation'))];
    // (TypeORM reads a BIGINT id as a string; the API's view makes both a number.)
    expect(reserved.flat()).toEqual(stored.map((movement) => ({ ...movement, id: Number(movement.id) })));
    expect(await ledger.ledgerMismatches()).toEqual([]);
  });

  it('writes each order alone when the group INSERT fails on a duplicate key: the duplicate alone is refused', async () => {
    const a = await product('GC-3', 5);
    const results = await Promise.allSettled([
      orders.place(9, [{ productId: a.id, quantity: 1 }], 'same'),
      orders.place(9, [{ productId: a.id, quantity: 1 }], 'same'),
      orders.place(10, [{ productId: a.id, quantity: 1 }], 'other'),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateOrderError);
    const [row] = await context.query<Array<{ reserved: number }>>('SELECT reserved FROM products WHERE id = ?', [a.id]);
    expect(row.reserved).toBe(2);
    expect(await ledger.ledgerMismatches()).toEqual([]);
  });

  it('fills a group\'s reservations in arrival order and refuses, alone, the one that no longer fits', async () => {
    const a = await product('GC-4', 3);
    const results = await Promise.allSettled([
      reservations.reserve([{ productId: a.id, quantity: 2 }], { reference: 'gc-a' }),
      reservations.reserve([{ productId: a.id, quantity: 2 }], { reference: 'gc-b' }),
      reservations.reserve([{ productId: a.id, quantity: 1 }], { reference: 'gc-c' }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'INSUFFICIENT_STOCK', lines: [{ productId: a.id, requested: 2, available: 1 }] });
    const [row] = await context.query<Array<{ reserved: number }>>('SELECT reserved FROM products WHERE id = ?', [a.id]);
    expect(row.reserved).toBe(3);
  });
});

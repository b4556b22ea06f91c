import type { INestApplicationContext } from '@nestjs/common';
import { ProductRepository, ProductStock } from '@stockroom/catalog';
import { UnitOfWork } from '@stockroom/database';
import { InventoryCoreModule, InventoryRepository, InventoryService } from '@stockroom/inventory';
import { InsufficientStockError } from '@stockroom/inventory';
import { bootCore } from '../support/core-app';
import { TestContext } from '../support/test-context';

/** Catalogue and inventory cores on the real MySQL and Redis, no HTTP: the unit of work across libs, the stock statements, the ledger. */
describe('Stock, ledger and units of work (medium tier)', () => {
  let context: TestContext;
  let app: INestApplicationContext;
  let products: ProductRepository;
  let stock: ProductStock;
  let ledger: InventoryRepository;
  let inventory: InventoryService;
  let work: UnitOfWork;

  beforeAll(async () => {
    context = await TestContext.create();
    app = await bootCore(context, [InventoryCoreModule], { CATALOG_SAMPLE_ON_EMPTY: 'false' });
    [products, stock, ledger, inventory] = [app.get(ProductRepository), app.get(ProductStock), app.get(InventoryRepository), app.get(InventoryService)];
    work = app.get(UnitOfWork, { strict: false });
  });

  afterAll(async () => {
    await app?.close();
    await context?.dispose();
  });

  const movementsOf = (productId: number) => context.query<Array<{ type: string; stock_delta: number; reserved_delta: number }>>('SELECT type, stock_delta, reserved_delta FROM stock_movements WHERE product_id = ? ORDER BY id', [productId]);

  it('records a new product\'s initial stock in the ledger, in the product\'s own transaction', async () => {
    const product = await products.create({ sku: 'MED-1', name: 'One', description: '', price: '1.00', stock: 4 });
    expect(await movementsOf(product.id)).toEqual([{ type: 'adjustment', stock_delta: 4, reserved_delta: 0 }]);
    expect(await ledger.ledgerMismatches()).toEqual([]);
  });

  it('rolls back every lib\'s statements of a unit of work together, nested runs included', async () => {
    const product = await products.create({ sku: 'MED-2', name: 'Two', description: '', price: '1.00', stock: 5 });
    await expect(
      work.run(async () => {
        expect(await stock.reserve(product.id, 2)).toBe(true);
        await work.run(() => ledger.recordMovement({ productId: product.id, type: 'reservation', stockDelta: 0, reservedDelta: 2, reason: 'test' }));
        throw new Error('give up');
      }),
    ).rejects.toThrow('give up');
    expect(await stock.levels(product.id)).toMatchObject({ stock: 5, reserved: 0 });
    expect(await movementsOf(product.id)).toHaveLength(1);
  });

  it('runs a deadlock victim\'s unit of work again (InnoDB rolled it back whole), once the other transaction is through', async () => {
    const [a, b, ...others] = await Promise.all(
      ['MED-DL-A', 'MED-DL-B', 'MED-DL-C', 'MED-DL-D', 'MED-DL-E'].map((sku) => products.create({ sku, name: sku, description: '', price: '1.00', stock: 1 })),
    );
    const holder = await context.connect();
    let attempts = 0;
    try {
      // Rows changed make the holder the heavier transaction: InnoDB rolls back the lighter one, the unit of work.
      await holder.query('START TRANSACTION');
      // One row per statement: `IN (…)` over a table this small is a scan, which would lock b too.
      for (const row of [a, ...others]) await holder.query('UPDATE products SET views = views + 1 WHERE id = ?', [row.id]);
      const unit = work.run(async () => {
        attempts++;
        await work.manager.query('SELECT id FROM products WHERE id = ? FOR UPDATE', [b.id]);
        await work.manager.query('SELECT id FROM products WHERE id = ? FOR UPDATE', [a.id]);
        return 'through';
      });
      await context.untilLockWait();
      // Closes the cycle: b is held by the unit of work, which waits for a.
      await holder.query('SELECT id FROM products WHERE id = ? FOR UPDATE', [b.id]);
      await holder.query('COMMIT');
      expect(await unit).toBe('through');
      expect(attempts).toBe(2);
    } finally {
      await holder.end();
    }
  });

  it('reserves all lines or none: a short line leaves the others and the ledger untouched', async () => {
    const [a, b] = [
      await products.create({ sku: 'MED-3', name: 'A', description: '', price: '1.00', stock: 5 }),
      await products.create({ sku: 'MED-4', name: 'B', description: '', price: '1.00', stock: 1 }),
    ];
    await expect(inventory.reserveStock([{ productId: a.id, quantity: 2 }, { productId: b.id, quantity: 2 }])).rejects.toBeInstanceOf(InsufficientStockError);
    expect([await stock.levels(a.id), await stock.levels(b.id)]).toMatchObject([{ reserved: 0 }, { reserved: 0 }]);
    await inventory.reserveStock([{ productId: a.id, quantity: 2 }, { productId: b.id, quantity: 1 }], { reference: 'med-ok' });
    await inventory.sellReserved([{ productId: a.id, quantity: 2 }], { reference: 'med-ok' });
    expect(await stock.levels(a.id)).toMatchObject({ stock: 3, reserved: 0, available: 3 });
    expect(await ledger.ledgerMismatches()).toEqual([]);
  });

  it('a bulk load records initial stock once, however often it runs', async () => {
    const rows = [1, 2, 3].map((i) => ({ sku: `MED-BULK-${i}`, name: `Bulk ${i}`, description: '', price: '2.00', stock: i }));
    expect(await products.insertIgnoringExisting(rows)).toBe(3);
    expect(await products.insertIgnoringExisting(rows)).toBe(0);
    const counts = await context.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM stock_movements m JOIN products p ON p.id = m.product_id WHERE p.sku LIKE 'MED-BULK-%'");
    expect(Number(counts[0].n)).toBe(3);
    expect(await ledger.ledgerMismatches()).toEqual([]);
  });

  it('finds a row whose stock no longer matches its ledger', async () => {
    const product = await products.create({ sku: 'MED-5', name: 'Five', description: '', price: '1.00', stock: 2 });
    await context.query('UPDATE products SET stock = 9 WHERE id = ?', [product.id]);
    expect(await ledger.ledgerMismatches()).toEqual([{ productId: product.id, stock: 9, reserved: 0, ledgerStock: 2, ledgerReserved: 0 }]);
    await context.query('UPDATE products SET stock = 2 WHERE id = ?', [product.id]);
  });
});

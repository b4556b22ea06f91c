import type { INestApplicationContext } from '@nestjs/common';
import { CatalogCoreModule, ProductRepository } from '@stockroom/catalog';
import { ViewsWriteBehind } from '@stockroom/stats';
import { bootCore } from '../support/core-app';
import { TestContext } from '../support/test-context';

/** The stats write-behind landing in the catalogue's column through its port, exactly once per flush. */
describe('Views write-behind through the catalogue\'s store (medium tier)', () => {
  let context: TestContext;
  let app: INestApplicationContext;

  beforeAll(async () => {
    context = await TestContext.create();
    app = await bootCore(context, [CatalogCoreModule], { CATALOG_SAMPLE_ON_EMPTY: 'false', STATS_WRITE_BEHIND_MS: '3600000' });
  });

  afterAll(async () => {
    await app?.close();
    await context?.dispose();
  });

  it('adds a batch once: applying the same flush again changes nothing', async () => {
    const products = app.get(ProductRepository);
    const [a, b] = [
      await products.create({ sku: 'VIEW-A', name: 'A', description: '', price: '1.00', stock: 0 }),
      await products.create({ sku: 'VIEW-B', name: 'B', description: '', price: '1.00', stock: 0 }),
    ];
    const writeBehind = app.get(ViewsWriteBehind);
    const batch = { flushId: 'medium-flush-1', counts: new Map([[a.id, 3], [b.id, 4], [999_999, 1]]) };
    expect(await writeBehind.apply(batch)).toBe(8);
    expect(await writeBehind.apply(batch)).toBe(0);
    const rows = await context.query<Array<{ id: number; views: number; updated_at: Date }>>('SELECT id, views FROM products WHERE id IN (?) ORDER BY id', [[a.id, b.id]]);
    expect(rows.map((row) => Number(row.views))).toEqual([3, 4]);
  });

  it('locks its rows in id order, as every other writer does: a flush never deadlocks with a transaction going up the ids', async () => {
    const products = app.get(ProductRepository);
    const low = await products.create({ sku: 'VIEW-LOW', name: 'Low', description: '', price: '1.00', stock: 0 });
    const high = await products.create({ sku: 'VIEW-HIGH', name: 'High', description: '', price: '1.00', stock: 0 });
    const holder = await context.connect();
    try {
      // An order group locks its products in ascending id; it holds the lower one now.
      await holder.query('START TRANSACTION');
      await holder.query('SELECT id FROM products WHERE id = ? FOR UPDATE', [low.id]);
      // Counts that statements by count would write high id first (its count comes first).
      const flush = app.get(ViewsWriteBehind).apply({ flushId: 'medium-flush-order', counts: new Map([[high.id, 3], [low.id, 1]]) });
      await context.untilLockWait();
      // The group goes on to the higher id: it waits for nothing, where it used to close a deadlock cycle (and, the lighter, be its victim).
      await holder.query('SELECT id FROM products WHERE id = ? FOR UPDATE', [high.id]);
      await holder.query('COMMIT');
      expect(await flush).toBe(4);
    } finally {
      await holder.end();
    }
    const rows = await context.query<Array<{ views: number }>>('SELECT views FROM products WHERE id IN (?) ORDER BY id', [[low.id, high.id]]);
    expect(rows.map((row) => Number(row.views))).toEqual([1, 3]);
  });

  it('adds a large batch of mixed counts (more than one statement\'s worth of ids) exactly, leaving updated_at alone', async () => {
    await context.query(
      `INSERT INTO products (sku, name, description, price, stock, reserved, views, version) VALUES ${Array.from({ length: 2_500 }, (_, i) => `('BULK-${i}', 'Bulk', '', 1.00, 0, 0, 0, 1)`).join(',')}`,
    );
    const rows = await context.query<Array<{ id: number; updated_at: Date }>>("SELECT id, updated_at FROM products WHERE sku LIKE 'BULK-%' ORDER BY id");
    const counts = new Map(rows.map((row, i) => [Number(row.id), (i % 3) + 1] as [number, number]));
    expect(await app.get(ViewsWriteBehind).apply({ flushId: 'medium-flush-bulk', counts })).toBe([...counts.values()].reduce((a, b) => a + b, 0));
    const after = await context.query<Array<{ id: number; views: number; updated_at: Date }>>("SELECT id, views, updated_at FROM products WHERE sku LIKE 'BULK-%' ORDER BY id");
    expect(after.map((row) => Number(row.views))).toEqual(rows.map((_, i) => (i % 3) + 1));
    expect(after.map((row) => row.updated_at.getTime())).toEqual(rows.map((row) => row.updated_at.getTime()));
  });
});

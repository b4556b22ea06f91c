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
});

import { DataSource } from 'typeorm';
import { buildDataSourceOptions, detectServerFlavour, isCheckConstraintError, migrations, runMigrationsExclusively } from '@stockroom/database';
import { Product, BOOT_SAMPLE_SIZE } from '@stockroom/catalog';
import { StockMovement } from '@stockroom/inventory';
import { User } from '@stockroom/auth';
import { Category } from '@stockroom/categories';
import { bootApi, TestContext } from './support/test-context';
import { run, spawnTs } from './support/processes';

interface PooledConnection {
  _statements: { max: number };
  release(): void;
}

describe('Database: migrations, schema rules and seeding', () => {
  let context: TestContext;

  let flavour: 'mysql' | 'mariadb';
  const dataSource = () => new DataSource(buildDataSourceOptions(context.config(), [Product, Category, StockMovement, User], flavour));
  const count = async () => (await context.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM products'))[0].n;

  beforeAll(async () => {
    context = await TestContext.create();
    flavour = await detectServerFlavour(context.config());
  });

  afterAll(async () => {
    await context?.dispose();
  });

  it('applies every migration exactly once even when two instances boot at the same time', async () => {
    const [a, b] = [dataSource(), dataSource()];
    await Promise.all([a.initialize(), b.initialize()]);
    try {
      const applied = await Promise.all([runMigrationsExclusively(a), runMigrationsExclusively(b)]);
      expect(applied.flat()).toEqual(migrations.map((m) => m.name));
      const rows = await context.query<unknown[]>('SELECT name FROM migrations');
      expect(rows).toHaveLength(migrations.length);
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
    }
  });

  it('keeps each pooled connection\'s prepared-statement cache small (TypeORM sends text queries only)', async () => {
    const source = dataSource();
    await source.initialize();
    try {
      const pool = (source.driver as unknown as { pool: { getConnection(done: (error: Error | null, connection: PooledConnection) => void): void } }).pool;
      const connection = await new Promise<PooledConnection>((resolve, reject) => pool.getConnection((error, got) => (error ? reject(error) : resolve(got))));
      try {
        // mysql2 sizes this cache up front: 16,000 slots by default, about 0.5 MB per connection.
        expect(connection._statements.max).toBe(64);
      } finally {
        connection.release();
      }
    } finally {
      await source.destroy();
    }
  });

  it('leaves the entities and the migrations in agreement (migration:generate would find nothing)', async () => {
    const source = dataSource();
    await source.initialize();
    try {
      const pending = await source.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await source.destroy();
    }
  });

  it('reverts and re-applies cleanly', async () => {
    const source = dataSource();
    await source.initialize();
    try {
      for (let i = 0; i < migrations.length; i++) await source.undoLastMigration();
      expect(await context.query<unknown[]>("SHOW TABLES LIKE 'products'")).toHaveLength(0);
      await runMigrationsExclusively(source);
      expect(await context.query<unknown[]>("SHOW TABLES LIKE 'products'")).toHaveLength(1);
    } finally {
      await source.destroy();
    }
  });

  it('the schema itself refuses a negative stock or price, whatever code writes it', async () => {
    await context.query("INSERT INTO products (sku, name, description, price, stock) VALUES ('CHK', 'Check', '', '1.00', 1)");
    const source = dataSource();
    await source.initialize();
    try {
      for (const statement of ["UPDATE products SET stock = stock - 2 WHERE sku = 'CHK'", "UPDATE products SET price = -1 WHERE sku = 'CHK'"]) {
        const error = await source.query(statement).catch((e: unknown) => e);
        expect(isCheckConstraintError(error)).toBe(true);
      }
      expect(await context.query("SELECT stock, CAST(price AS CHAR) AS price FROM products WHERE sku = 'CHK'")).toEqual([{ stock: 1, price: '1.00' }]);
    } finally {
      await source.destroy();
      await context.query('DELETE FROM products');
    }
  });

  it('loads the sample catalogue once when the table is empty, even with two instances booting', async () => {
    const [a, b] = await Promise.all([
      bootApi(context, { CATALOG_SAMPLE_ON_EMPTY: 'true' }),
      bootApi(context, { CATALOG_SAMPLE_ON_EMPTY: 'true' }),
    ]);
    await Promise.all([a.close(), b.close()]);
    expect(await count()).toBe(BOOT_SAMPLE_SIZE);
  });

  it('does not add samples to a catalogue that has products', async () => {
    await context.query('DELETE FROM products');
    await context.query("INSERT INTO products (sku, name, description, price) VALUES ('MINE', 'Mine', '', '1.00')");
    const api = await bootApi(context, { CATALOG_SAMPLE_ON_EMPTY: 'true' });
    await api.close();
    expect(await count()).toBe(1);
    await context.query('DELETE FROM products');
  });

  it('`npm run seed -- --count N` loads N products, and a rerun inserts only what is missing', async () => {
    const first = await run(spawnTs('apps/api/src/cli/seed.ts', context.env(), ['--count', '1200']));
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/inserted 1200 products \(0 already present\)/);
    expect(await count()).toBe(1200);
    const again = await run(spawnTs('apps/api/src/cli/seed.ts', context.env(), ['--count', '1300']));
    expect(again.stdout).toMatch(/inserted 100 products \(1200 already present\)/);
    expect(await count()).toBe(1300);
  });

  it('the seed command refuses a bad --count', async () => {
    const result = await run(spawnTs('apps/api/src/cli/seed.ts', context.env(), ['--count', 'lots']));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--count must be an integer/);
  });
});

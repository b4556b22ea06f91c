import type { DataSource } from 'typeorm';

/**
 * Several instances may boot at once: a server-wide MySQL named lock lets exactly one of them
 * apply pending migrations while the others wait, then find nothing left to do.
 */
export async function runMigrationsExclusively(dataSource: DataSource, waitSeconds = 120): Promise<string[]> {
  const lockName = `stockroom:migrations:${String(dataSource.options.database)}`;
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [row] = (await runner.query('SELECT GET_LOCK(?, ?) AS acquired', [lockName, waitSeconds])) as Array<{ acquired: number | string | null }>;
    if (Number(row?.acquired) !== 1) {
      throw new Error(`timed out after ${waitSeconds}s waiting for the migration lock ${lockName}`);
    }
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((migration) => migration.name);
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [lockName]);
    }
  } finally {
    await runner.release();
  }
}

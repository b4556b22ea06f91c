import { createConnection } from 'mysql2/promise';
import { AppConfig, DependencyUnavailableError } from '@stockroom/core';

const START_HINT =
  'start it with `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`, ' +
  'or point DB_HOST/DB_PORT (and DB_USER/DB_PASSWORD) at a running server; ' +
  '`docker compose up` runs the whole system with its own MySQL, reachable only inside its network';

/**
 * Fails fast, with one line, when MySQL cannot be reached, and creates the database when it is
 * missing so a fresh machine needs no manual step.
 */
export async function prepareDatabase(config: Pick<AppConfig, 'db'>): Promise<void> {
  const address = `${config.db.host}:${config.db.port}`;
  let connection;
  try {
    connection = await createConnection({
      host: config.db.host,
      port: config.db.port,
      user: config.db.user,
      password: config.db.password,
      connectTimeout: 5_000,
    });
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error as Error).message;
    const hint = reason === 'ER_ACCESS_DENIED_ERROR' ? 'check DB_USER and DB_PASSWORD' : START_HINT;
    throw new DependencyUnavailableError('MySQL', address, reason, hint);
  }
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS \`${config.db.name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error as Error).message;
    throw new DependencyUnavailableError('MySQL', address, reason, `cannot create database ${config.db.name}; create it or grant CREATE`);
  } finally {
    await connection.end();
  }
}

/** Which server DB_TYPE=auto is talking to (MariaDB reports column defaults differently). */
export async function detectServerFlavour(config: Pick<AppConfig, 'db'>): Promise<'mysql' | 'mariadb'> {
  if (config.db.type !== 'auto') return config.db.type;
  const connection = await createConnection({
    host: config.db.host,
    port: config.db.port,
    user: config.db.user,
    password: config.db.password,
    connectTimeout: 5_000,
  });
  try {
    const [rows] = await connection.query('SELECT VERSION() AS version');
    return /mariadb/i.test(String((rows as Array<{ version: string }>)[0]?.version)) ? 'mariadb' : 'mysql';
  } finally {
    await connection.end();
  }
}

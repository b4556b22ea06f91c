import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { freePort } from './redis-server';

/**
 * A MariaDB server of the test's own (its own data directory and port), so it can be killed and
 * restarted like a crashed database without touching the machine's shared one. Durable as the
 * shared one: InnoDB flushes its log at every commit, so a SIGKILL loses nothing committed.
 */
export class PrivateMariaDb {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivateMariaDb> {
    const dir = mkdtempSync(join(tmpdir(), 'stockroom-mariadb-'));
    execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root'], {
      stdio: 'ignore',
    });
    const server = new PrivateMariaDb(await freePort(), dir);
    await server.launch();
    return server;
  }

  /** Starts the server on its data directory (crash recovery included) and waits until it answers. */
  async launch(): Promise<void> {
    this.process = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(this.dir, 'mariadb.sock')}`,
        `--pid-file=${join(this.dir, 'mariadb.pid')}`,
        '--user=root',
        '--innodb-buffer-pool-size=64M',
        '--innodb-flush-log-at-trx-commit=1',
        '--max-connections=500',
      ],
      { stdio: 'ignore' },
    );
    for (let attempt = 0; attempt < 1_200; attempt++) {
      if (this.process.exitCode !== null) throw new Error(`mariadbd on ${this.port} exited (${this.process.exitCode})`);
      try {
        await this.query('SELECT 1');
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`mariadbd on ${this.port} did not start`);
  }

  /** A crash: SIGKILL, no shutdown. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async query<T = unknown>(statement: string, params: unknown[] = [], database?: string): Promise<T> {
    const sql = await createConnection({ host: '127.0.0.1', port: this.port, user: 'root', password: '', database, connectTimeout: 2_000 });
    try {
      const [rows] = await sql.query(statement, params);
      return rows as T;
    } finally {
      await sql.end();
    }
  }
}

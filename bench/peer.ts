/**
 * The peer the read path is measured against, `../shared/peers/nest-cache-manager`
 * (`@nestjs/cache-manager` + `@keyv/redis`, one Redis GET per request), built and seeded in
 * `bench/.peer/` (git-ignored), and the warm-up every read bench gives a server.
 */
import { ChildProcess, execFileSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { ROOT, startProcess, waitForHttp } from './support';

const PEER_SOURCE = join(ROOT, '..', 'shared', 'peers', 'nest-cache-manager');
const PEER = join(ROOT, 'bench', '.peer');
const PEER_DB = 'peerbench';

/** Copies, installs (first use), builds and seeds the peer, as its README says. */
export async function preparePeer(): Promise<void> {
  if (!existsSync(join(PEER, 'package.json'))) cpSync(PEER_SOURCE, PEER, { recursive: true, filter: (source) => !source.includes('node_modules') });
  if (!existsSync(join(PEER, 'node_modules'))) execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: PEER, stdio: 'inherit' });
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: PEER, stdio: 'inherit' });
  const sql = await createConnection({ host: '127.0.0.1', user: 'root' });
  await sql.query(`CREATE DATABASE IF NOT EXISTS \`${PEER_DB}\``);
  await sql.end();
  execFileSync('npm', ['run', 'seed', '--silent'], { cwd: PEER, stdio: 'inherit', env: { ...process.env, DB_NAME: PEER_DB } });
}

/** The peer with an empty cache (its Redis database 1), as its own run.sh starts it. */
export async function startPeer(port: number): Promise<{ child: ChildProcess; url: string }> {
  execFileSync('redis-cli', ['-n', '1', 'flushdb']);
  const child = startProcess([join(PEER, 'dist', 'main.js')], { PORT: String(port), CACHE_STORES: 'redis', DB_NAME: PEER_DB });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/products/1`);
  return { child, url };
}

/** Products 1..`products` once each over `connections` (so every later request is a hit), returning each one's ETag. */
export async function warmAll(url: string, headers: Record<string, string>, products: number, connections: number): Promise<Map<string, string>> {
  const etags = new Map<string, string>();
  let next = 1;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next <= products) {
        const path = `/products/${next++}`;
        const response = await fetch(`${url}${path}`, { headers });
        await response.arrayBuffer();
        const etag = response.headers.get('etag');
        if (etag) etags.set(path, etag);
      }
    }),
  );
  return etags;
}

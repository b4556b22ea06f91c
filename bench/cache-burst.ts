/**
 * `npm run bench:burst`: database queries per 1,000 concurrent requests for one cold product,
 * split over two API instances, with the cache on and off. Queries are counted at the database
 * (MariaDB's global Com_select), so nothing else may use it during the run: the instances' own
 * periodic reads (the availability board each second, the views write-behind) are spaced out of
 * the window, and nothing else about them changes.
 */
import { Agent, get } from 'node:http';
import { createConnection } from 'mysql2/promise';
import { BENCH_ADMIN, benchSession, buildAndSeed, saveReport, startApi, stop } from './support';

const BURST = 1_000;
const KEYS = 5;

async function main(): Promise<void> {
  buildAndSeed(10_000);
  const sql = await createConnection({ host: '127.0.0.1', user: 'root', password: '' });
  const selects = async () => Number(((await sql.query("SHOW GLOBAL STATUS LIKE 'Com_select'"))[0] as Array<{ Value: string }>)[0].Value);
  // One socket per request, so all of them are in flight at once.
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const status = (url: string) =>
    new Promise<number>((resolve, reject) => {
      get(url, { agent }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      }).on('error', reject);
    });
  const rows: string[] = ['| cache | burst | instances | DB queries per burst (each key) | mean | all 200 |', '| --- | --- | --- | --- | --- | --- |'];

  const quiet = { CATALOG_AVAILABILITY_REFRESH_MS: '60000', STATS_WRITE_BEHIND_MS: '3600000' };
  for (const [label, env] of [['on (L1 + Redis)', { ...quiet, CACHE_L1_MAX_ITEMS: '20000' }], ['off', { ...quiet, CACHE_ENABLED: 'false' }]] as const) {
    const instances = await Promise.all([startApi(3321, env), startApi(3322, env)]);
    const staff = await benchSession(instances[0].url, BENCH_ADMIN);
    const counts: number[] = [];
    let allOk = true;
    try {
      for (let key = 0; key < KEYS; key++) {
        const id = 9_000 + key * 7;
        // Cold: retire whatever an earlier run cached (staff only; with the cache off there is nothing to retire).
        const retired = await fetch(`${instances[0].url}/cache/namespaces/product`, { method: 'DELETE', headers: staff });
        if (label.startsWith('on') && retired.status !== 204) throw new Error(`retiring the cache answered ${retired.status}`);
        const before = await selects();
        const statuses = await Promise.all(Array.from({ length: BURST }, (_, i) => status(`${instances[i % 2].url}/products/${id}`)));
        allOk &&= statuses.every((code) => code === 200);
        // SHOW STATUS itself is not a SELECT; the difference is the API's queries.
        counts.push((await selects()) - before);
      }
    } finally {
      await Promise.all(instances.map((i) => stop(i.child)));
    }
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    rows.push(`| ${label} | ${BURST} concurrent | 2 | ${counts.join(', ')} | ${mean.toFixed(1)} | ${allOk ? 'yes' : 'no'} |`);
  }
  await sql.end();
  agent.destroy();
  saveReport('cache-burst', ['@nestjs/core', 'ioredis', 'mysql2'], ['', rows.join('\n')]);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

/**
 * `npm run bench:http`: GET /products/:id on the real API (MySQL, uncached at this stage) against a
 * bare Fastify server returning the same JSON, alternating rounds in one run so both see the same
 * machine. Servers run in their own processes; autocannon runs here.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Figure, machine, measure, ROOT, startProcess, stop, table, versions, waitForHttp } from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PRODUCTS = 10_000;
const API_PORT = 3301;
const BARE_PORT = 3302;

async function main(): Promise<void> {
  const env = { DB_NAME: process.env.DB_NAME ?? 'stockroom_bench', REDIS_KEY_PREFIX: 'bench', LOG_LEVEL: 'warn', CATALOG_SAMPLE_ON_EMPTY: 'false' };
  console.log('building and seeding…');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  execFileSync('npm', ['run', 'seed', '--silent', '--', '--count', String(PRODUCTS)], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });

  const api = startProcess([join('dist', 'apps', 'api', 'main.js')], { ...env, PORT: String(API_PORT), HOST: '127.0.0.1' });
  const apiUrl = `http://127.0.0.1:${API_PORT}`;
  await waitForHttp(`${apiUrl}/health/ready`);
  const sample = await (await fetch(`${apiUrl}/products/42`)).text();
  const bare = startProcess([join('bench', 'bare-fastify.js')], { PORT: String(BARE_PORT), BARE_BODY: sample });
  const bareUrl = `http://127.0.0.1:${BARE_PORT}`;
  await waitForHttp(`${bareUrl}/products/42`);

  let id = 0;
  const nextProduct = () => `/products/${(id++ % PRODUCTS) + 1}`;
  const figures: Figure[] = [];
  try {
    for (const [target, url] of [['bare fastify', bareUrl], ['api', apiUrl]] as const) {
      await measure(`${target} warm-up`, 0, url, nextProduct, { connections: CONNECTIONS, duration: 2 });
    }
    for (let round = 1; round <= ROUNDS; round++) {
      figures.push(await measure('bare fastify (same JSON)', round, bareUrl, nextProduct, { connections: CONNECTIONS, duration: DURATION }));
      figures.push(await measure('GET /products/:id (MySQL, uncached)', round, apiUrl, nextProduct, { connections: CONNECTIONS, duration: DURATION }));
    }
  } finally {
    await Promise.all([stop(api), stop(bare)]);
  }

  const report = [
    `machine: ${machine()}`,
    `versions: ${versions(['@nestjs/core', 'fastify', 'typeorm', 'mysql2', 'ioredis', 'autocannon'])}`,
    `load: autocannon, ${CONNECTIONS} connections, ${DURATION}s per figure, ids cycling over ${PRODUCTS} products`,
    '',
    table(figures, 'bare fastify (same JSON)'),
  ].join('\n');
  console.log(`\n${report}\n`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', `http-${new Date().toISOString().replace(/[:.]/g, '-')}.md`), `${report}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

#!/usr/bin/env node
// `npm run test:cluster`: starts a local 3-master Redis Cluster (redis-server --cluster-enabled on
// loopback ports REDIS_CLUSTER_PORTS, default 7100,7101,7102, joined by redis-cli --cluster create),
// runs the suites that exercise Redis against it, and stops it. Extra arguments go to jest.
const { spawn, spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const ports = (process.env.REDIS_CLUSTER_PORTS || '7100,7101,7102').split(',').map(Number);
const SUITES = '(cache|catalog-cache|l1-coherence|lock|throttle|sessions|access|inventory|purchases|stats|orders|orders-recovery|orders-workers|metrics|scale-out)\\.e2e';
const dir = mkdtempSync(join(tmpdir(), 'stockroom-cluster-'));
const servers = [];

const cli = (...args) => spawnSync('redis-cli', args, { encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, done, attempts = 100) {
  for (let i = 0; i < attempts; i++) {
    if (done()) return;
    await sleep(100);
  }
  throw new Error(`redis cluster: ${what}`);
}

function stop() {
  for (const server of servers) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}

async function main() {
  for (const port of ports) {
    if (cli('-p', String(port), 'ping').stdout.trim() === 'PONG') throw new Error(`port ${port} is taken (REDIS_CLUSTER_PORTS picks others)`);
    servers.push(
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }),
    );
  }
  for (const port of ports) await until(`node ${port} did not start`, () => cli('-p', String(port), 'ping').stdout.trim() === 'PONG');
  const created = cli('--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes');
  if (created.status !== 0) throw new Error(`cluster create failed: ${created.stdout}${created.stderr}`);
  for (const port of ports) await until('did not reach cluster_state:ok', () => cli('-p', String(port), 'cluster', 'info').stdout.includes('cluster_state:ok'));
  console.log(`test:cluster: 3 masters on ${ports.join(', ')}`);

  const nodes = ports.map((port) => `127.0.0.1:${port}`).join(',');
  const jest = spawn(process.execPath, [require.resolve('jest/bin/jest'), '--selectProjects', 'e2e', '--testPathPatterns', SUITES, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, REDIS_CLUSTER_NODES: nodes },
  });
  const code = await new Promise((resolve) => jest.on('exit', (status) => resolve(status ?? 1)));
  stop();
  process.exit(code);
}

process.on('SIGINT', () => {
  stop();
  process.exit(130);
});
main().catch((error) => {
  console.error(error.message);
  stop();
  process.exit(1);
});

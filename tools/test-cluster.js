#!/usr/bin/env node
// `npm run test:cluster`: starts a local 3-master Redis Cluster (loopback ports REDIS_CLUSTER_PORTS,
// default 7100,7101,7102), runs the suites that exercise Redis against it, and stops it.
// Extra arguments go to jest.
const { spawn } = require('node:child_process');
const { startRedisCluster } = require('./redis-cluster');

const ports = (process.env.REDIS_CLUSTER_PORTS || '7100,7101,7102').split(',').map(Number);
const SUITES = '(cache|catalog-cache|l1-coherence|lock|throttle|sessions|inventory|purchases|stats|orders|orders-recovery|metrics|scale-out)\\.e2e';

async function main() {
  const cluster = await startRedisCluster(ports);
  process.on('SIGINT', () => {
    cluster.stop();
    process.exit(130);
  });
  console.log(`test:cluster: 3 masters on ${ports.join(', ')}`);
  const jest = spawn(process.execPath, [require.resolve('jest/bin/jest'), '--selectProjects', 'e2e', '--testPathPatterns', SUITES, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, REDIS_CLUSTER_NODES: cluster.nodes },
  });
  const code = await new Promise((resolve) => jest.on('exit', (status) => resolve(status ?? 1)));
  cluster.stop();
  process.exit(code);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});

// A local Redis Cluster of redis-server processes on loopback ports, for test:cluster and the
// scale bench: `--cluster-enabled` nodes in a temporary directory, joined by `redis-cli --cluster create`.
const { spawn, spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const cli = (...args) => spawnSync('redis-cli', args, { encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, done, attempts = 100) {
  for (let i = 0; i < attempts; i++) {
    if (done()) return;
    await sleep(100);
  }
  throw new Error(`redis cluster: ${what}`);
}

/** Starts one node per port (`replicas` replicas per primary) and resolves once the cluster is ok. */
async function startRedisCluster(ports, { replicas = 0 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'stockroom-cluster-'));
  const servers = new Map();
  const stop = () => {
    for (const server of servers.values()) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      if (cli('-p', String(port), 'ping').stdout.trim() === 'PONG') throw new Error(`port ${port} is taken`);
      servers.set(
        port,
        spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
          '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }),
      );
    }
    for (const port of ports) await until(`node ${port} did not start`, () => cli('-p', String(port), 'ping').stdout.trim() === 'PONG');
    const created = cli('--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', String(replicas), '--cluster-yes');
    if (created.status !== 0) throw new Error(`cluster create failed: ${created.stdout}${created.stderr}`);
    for (const port of ports) await until('did not reach cluster_state:ok', () => cli('-p', String(port), 'cluster', 'info').stdout.includes('cluster_state:ok'), 200);
  } catch (error) {
    stop();
    throw error;
  }
  return { nodes: ports.map((port) => `127.0.0.1:${port}`).join(','), servers, stop, cli };
}

module.exports = { startRedisCluster };

import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';

/** Whether something accepts a TCP connection on the loopback port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A Redis server of the test's own, so it can be paused, killed and restarted. */
export class PrivateRedis {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly extraArgs: string[] = [],
  ) {}

  /** `extraArgs` go to redis-server (e.g. `--replicaof 127.0.0.1 <port>`). */
  static async start(extraArgs: string[] = []): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), extraArgs);
    await redis.launch();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async launch(): Promise<void> {
    this.process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.extraArgs], {
      stdio: 'ignore',
    });
    // Waits for the port with plain sockets: an ioredis connect refused and then disconnected leaves
    // its timers running for seconds, which kept test workers from exiting.
    for (let attempt = 0; attempt < 100 && !(await accepts(this.port)); attempt++) await new Promise((r) => setTimeout(r, 50));
    const client = new Redis(this.port, '127.0.0.1', { retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      await client.ping();
    } catch {
      throw new Error(`redis-server on ${this.port} did not start`);
    } finally {
      client.disconnect();
    }
  }

  /** The process stays, its socket stays open, but nothing answers (a hung Redis). */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  client(): Redis {
    return new Redis(this.port, '127.0.0.1');
  }

  /** One question on a connection of its own, closed after it (a client left open keeps reconnecting to a killed server). */
  async ask<T>(question: (client: Redis) => Promise<T>): Promise<T> {
    const client = this.client();
    try {
      return await question(client);
    } finally {
      client.disconnect();
    }
  }
}

/** A Redis Sentinel watching `primaryPort` as `name` (quorum 1, down after 1 s), in a directory of its own. */
export async function startSentinel(primaryPort: number, name = 'mymaster'): Promise<{ port: number; stop(): void }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'stockroom-sentinel-'));
  const config = join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 1`, `sentinel down-after-milliseconds ${name} 1000`, `sentinel failover-timeout ${name} 5000`].join('\n'),
  );
  const child = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
  // The port first, with plain sockets (see launch), then one connection asks until Sentinel knows the primary.
  for (let attempt = 0; attempt < 100 && !(await accepts(port)); attempt++) await new Promise((r) => setTimeout(r, 50));
  const client = new Redis(port, '127.0.0.1', { retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      const primary = (await client.call('SENTINEL', 'get-master-addr-by-name', name).catch(() => null)) as string[] | null;
      if (primary) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    client.disconnect();
  }
  return {
    port,
    stop: () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
